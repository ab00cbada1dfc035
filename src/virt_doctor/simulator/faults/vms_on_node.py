"""VirtualMachineStuckOnNode faults: a VM whose VMI is on a node is stuck."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator import podstate
from virt_doctor.simulator.cluster import Cluster, component_log
from virt_doctor.simulator.faults.mutations import (
    ON_NODE,
    handler_crash,
    node_goes_down,
    note_vm,
    use_container_disk,
    vm_restarted_stuck,
    vm_status,
)
from virt_doctor.simulator.faults.registry import fault, noted
from virt_doctor.simulator.faults.targets import pick_vm, pick_worker
from virt_doctor.simulator.objects import condition, event, ts

Obj = dict[str, Any]


@fault("vm-stuck-terminating", ON_NODE, "stuck-termination",
       "a VM was deleted 30+ minutes ago but its VMI's finalizers hold it on the node")
def vm_stuck_terminating(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    vmset.vm["metadata"]["deletionTimestamp"] = ts(since)
    vmset.vm["metadata"]["deletionGracePeriodSeconds"] = 0
    vm_status(vmset, "Terminating", since)
    assert vmset.vmi is not None and vmset.pod is not None
    vmset.vmi["metadata"]["deletionTimestamp"] = ts(since)
    vmset.vmi["metadata"]["deletionGracePeriodSeconds"] = 0
    podstate.not_ready(vmset.pod, "compute", since)
    note_vm(cluster, "vm-stuck-terminating", ON_NODE, "stuck-termination", vmset,
            f"VM and VMI deleted at {ts(since)}, finalizers remain")


@fault("vm-image-pull-on-node", ON_NODE, "image-pull-failure",
       "a VM's containerDisk image cannot be pulled on the node its launcher pod is bound to")
def vm_image_pull_on_node(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    image = "registry.example.internal/vm-images/fedora:41-missing"
    use_container_disk(vmset, image)
    vmi = vm_restarted_stuck(vmset, "ErrImagePull", "Scheduling", since, on_node=False)
    vmi["status"]["conditions"].append({**condition("Synchronized", "False", since + timedelta(seconds=20),
                                                    "ErrImagePull", f'failed to pull image "{image}": not found'),
                                        "lastProbeTime": None})
    pod = vmset.pod
    assert pod is not None
    pod["spec"]["containers"].append({"name": "volumerootdisk", "image": image})
    pod["status"]["containerStatuses"].append({"name": "volumerootdisk", "image": image, "imageID": "",
                                               "ready": False, "restartCount": 0, "started": False,
                                               "lastState": {}, "state": {}})
    podstate.image_pull(pod, "volumerootdisk", since, image, f'rpc error: code = Unknown desc = '
                        f'reading manifest 41-missing in {image.rsplit(":", 1)[0]}: manifest unknown',
                        reason="ErrImagePull", phase="Pending")
    cluster.extra.append(event(cluster.ids, pod, "Failed", f'Failed to pull image "{image}": manifest unknown',
                               cluster.at - timedelta(minutes=1), "Warning", count=8, first=since))
    note_vm(cluster, "vm-image-pull-on-node", ON_NODE, "image-pull-failure", vmset, f"image {image} does not exist")



@fault("vm-volume-mount", ON_NODE, "volume-mount-failure",
       "a VM's disk cannot be attached to its node: the launcher pod waits in ContainerCreating")
def vm_volume_mount(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    vm_restarted_stuck(vmset, "Starting", "Scheduling", since, on_node=False)
    pod = vmset.pod
    assert pod is not None and vmset.pvc is not None
    podstate.container_creating(pod, since)
    volume = vmset.pvc["spec"]["volumeName"]
    cluster.extra.append(event(cluster.ids, pod, "FailedAttachVolume",
                               f'AttachVolume.Attach failed for volume "{volume}" : rpc error: code = Aborted desc = '
                               "an operation with the given Volume ID already exists",
                               cluster.at - timedelta(minutes=2), "Warning", count=11, first=since,
                               component="attachdetach-controller"))
    cluster.extra.append(event(cluster.ids, pod, "FailedMount",
                               "Unable to attach or mount volumes: unmounted volumes=[rootdisk], unattached "
                               "volumes=[rootdisk]: timed out waiting for the condition",
                               cluster.at - timedelta(minutes=1), "Warning", count=9, first=since))
    note_vm(cluster, "vm-volume-mount", ON_NODE, "volume-mount-failure", vmset, f"volume {volume} fails to attach")


@fault("vm-launcher-not-ready", ON_NODE, "virt-launcher-not-ready",
       "the compute container of a starting VM's launcher pod never becomes ready (libvirt fails)")
def vm_launcher_not_ready(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    vm_restarted_stuck(vmset, "Starting", "Scheduled", since)
    pod = vmset.pod
    assert pod is not None
    podstate.not_ready(pod, "compute", since)
    cluster.extra.append(event(cluster.ids, pod, "Unhealthy", "Readiness probe failed: cat: /var/run/kubevirt-"
                               "infra/healthy: No such file or directory", cluster.at - timedelta(seconds=20),
                               "Warning", count=30, first=since))
    cluster.log(pod, "compute", "current", component_log("virt-launcher", cluster.at, [
        ("info", "Collected all requested hook sidecar sockets"),
        ("error", "Failed to connect to libvirt daemon: Failed to connect socket to '/var/run/libvirt/virtqemud-sock'"),
        ("error", "failed to start domain: virError(Code=38, Domain=7): internal error: process exited while connecting to monitor")]))
    note_vm(cluster, "vm-launcher-not-ready", ON_NODE, "virt-launcher-not-ready", vmset, "compute container not ready")


@fault("vm-kvm-unavailable", ON_NODE, "kvm-unavailable",
       "the KVM device plugin on a node stopped advertising /dev/kvm while a VM starts there")
def vm_kvm_unavailable(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster)
    name = node["metadata"]["name"]
    node["status"]["allocatable"]["devices.kubevirt.io/kvm"] = "0"
    node["status"]["capacity"]["devices.kubevirt.io/kvm"] = "0"
    vmset = pick_vm(cluster, name)
    vmi = vm_restarted_stuck(vmset, "Starting", "Scheduled", since)
    vmi["status"]["conditions"].append({**condition(
        "Synchronized", "False", since + timedelta(seconds=30), "Synchronizing with the Domain failed.",
        "server error. command Launcher.Sync failed: hardware emulation device '/dev/kvm' not present"),
        "lastProbeTime": None})
    assert vmset.pod is not None
    note_vm(cluster, "vm-kvm-unavailable", ON_NODE, "kvm-unavailable", vmset, f"{name} advertises 0 KVM devices")


@fault("vm-node-pressure", ON_NODE, "node-resource-pressure",
       "a node under memory pressure cannot bring up a VM that starts there")
def vm_node_pressure(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster)
    name = node["metadata"]["name"]
    for cond in node["status"]["conditions"]:
        if cond["type"] == "MemoryPressure":
            cond.update(status="True", reason="KubeletHasInsufficientMemory",
                        message="kubelet has insufficient memory available", lastTransitionTime=ts(since))
    node["spec"]["taints"] = node["spec"].get("taints", []) + [
        {"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule", "timeAdded": ts(since)}]
    vmset = pick_vm(cluster, name)
    vm_restarted_stuck(vmset, "Starting", "Scheduled", since)
    assert vmset.pod is not None
    podstate.not_ready(vmset.pod, "compute", since)
    note_vm(cluster, "vm-node-pressure", ON_NODE, "node-resource-pressure", vmset, f"{name} has MemoryPressure")


@fault("vm-on-not-ready-node", ON_NODE, "node-not-ready", "a VM is stopping on a node that went NotReady")
def vm_on_not_ready_node(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster)
    name = node["metadata"]["name"]
    node_goes_down(cluster, node, since)
    vmset = pick_vm(cluster, name)
    vm_status(vmset, "Stopping", since)
    vmset.vm["spec"]["runStrategy"] = "Halted"
    assert vmset.vmi is not None
    vmset.vmi["metadata"]["deletionTimestamp"] = ts(since + timedelta(minutes=1))
    note_vm(cluster, "vm-on-not-ready-node", ON_NODE, "node-not-ready", vmset, f"{name} is NotReady")


@fault("vm-handler-missing", ON_NODE, "virt-handler-missing",
       "a VM starts on a node whose virt-handler is crash-looping")
def vm_handler_missing(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster)["metadata"]["name"]
    handler_crash(cluster, node, since)
    vmset = pick_vm(cluster, node)
    vm_restarted_stuck(vmset, "Starting", "Scheduled", since)
    note_vm(cluster, "vm-handler-missing", ON_NODE, "virt-handler-missing", vmset, f"virt-handler on {node} crash-loops")


FAILED_LAUNCHERS = 210  # over VirtLauncherPodsStuckFailed's threshold of 200


def _failed_launcher(cluster: Cluster, template: Obj, node: str, since: datetime, index: int,
                     migration: str = "") -> Obj:
    """A virt-launcher pod of the same VM as `template`, ended Failed on `node` and never deleted."""
    ended = since - timedelta(minutes=index % 50)
    name = template["metadata"]["labels"]["vm.kubevirt.io/name"]
    pod = copy.deepcopy(template)
    pod["metadata"].update(name=f"virt-launcher-{name}-{cluster.ids.suffix()}", uid=cluster.ids.uid(),
                           creationTimestamp=ts(ended - timedelta(minutes=2)))
    pod["metadata"]["labels"]["kubevirt.io/created-by"] = cluster.ids.uid()  # an earlier VMI of the VM
    if migration:
        pod["metadata"]["labels"]["kubevirt.io/migrationJobUID"] = migration
    pod["spec"]["nodeName"] = node
    status = pod["status"]
    status["phase"] = "Failed"
    for cond in status["conditions"]:
        if cond["type"] in ("Ready", "ContainersReady"):
            cond.update(status="False", reason="PodFailed", lastTransitionTime=ts(ended))
    [container] = status["containerStatuses"]
    container.update(ready=False, started=False, state={"terminated": {
        "exitCode": 1, "reason": "Error", "startedAt": ts(ended - timedelta(minutes=1)), "finishedAt": ts(ended)}})
    return pod


@fault("launchers-failed-restart-loop", "VirtLauncherPodsStuckFailed", "vm-restart-loop",
       "one VM's virt-launcher fails again and again; its runStrategy restarts it each time, 210 Failed pods pile up")
def launchers_failed_restart_loop(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    assert vmset.pod is not None
    cluster.extra += [_failed_launcher(cluster, vmset.pod, vmset.node, since, i) for i in range(FAILED_LAUNCHERS)]
    noted(cluster, "launchers-failed-restart-loop", vmset.vm, f"{FAILED_LAUNCHERS} Failed virt-launcher pods of one VM")


@fault("launchers-failed-migrations", "VirtLauncherPodsStuckFailed", "migration-loop",
       "migrations fail and are retried: 210 Failed migration-target virt-launcher pods across the VMs")
def launchers_failed_migrations(cluster: Cluster, since: datetime) -> None:
    running = [v for v in cluster.vms if v.pod is not None]
    nodes = [w["metadata"]["name"] for w in cluster.workers]
    for index in range(FAILED_LAUNCHERS):
        vmset = running[index % len(running)]
        assert vmset.pod is not None
        target = next(n for n in nodes[index % len(nodes):] + nodes if n != vmset.node)
        cluster.extra.append(_failed_launcher(cluster, vmset.pod, target, since, index, migration=cluster.ids.uid()))
    noted(cluster, "launchers-failed-migrations", "KubeVirt", f"{FAILED_LAUNCHERS} Failed migration-target pods",
          cluster.install_ns, "")


@fault("launchers-failed-on-node", "VirtLauncherPodsStuckFailed", "node-problem",
       "every VM started on one broken node fails: 210 Failed virt-launcher pods there")
def launchers_failed_on_node(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster)["metadata"]["name"]
    running = [v for v in cluster.vms if v.pod is not None]
    cluster.extra += [_failed_launcher(cluster, running[i % len(running)].pod, node, since, i)  # type: ignore[arg-type]
                      for i in range(FAILED_LAUNCHERS)]
    noted(cluster, "launchers-failed-on-node", "Node",
          f"{FAILED_LAUNCHERS} Failed virt-launcher pods on {node}", "", node)
