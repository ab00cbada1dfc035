"""Faults that leave a VM stuck: on its node (VirtualMachineStuckOnNode) or before one (…InUnhealthyState)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator import podstate
from virt_doctor.simulator.cluster import Cluster, component_log
from virt_doctor.simulator.faults import (
    _ds_unready,
    _handler_crash,
    cordon,
    fault,
    node_goes_down,
    pick_vm,
    pick_worker,
)
from virt_doctor.simulator.objects import condition, event, storage_class, ts
from virt_doctor.simulator.vms import VMSet

Obj = dict[str, Any]
ON_NODE = "VirtualMachineStuckOnNode"
UNHEALTHY = "VirtualMachineStuckInUnhealthyState"


def _vm_status(vmset: VMSet, status: str, since: datetime, reason: str = "GuestNotRunning",
               message: str = "Guest VM is not reported as running") -> None:
    vm = vmset.vm
    vm["status"].update(printableStatus=status, ready=False)
    vm["status"]["conditions"] = [{**condition("Ready", "False", since, reason, message), "lastProbeTime": None}]


def _vmi_phase(vmset: VMSet, phase: str, since: datetime, on_node: bool = True) -> Obj:
    vmi = vmset.vmi
    assert vmi is not None
    st = vmi["status"]
    st["phase"] = phase
    order = ["Pending", "Scheduling", "Scheduled", "Running"]
    st["phaseTransitionTimestamps"] = [{"phase": p, "phaseTransitionTimestamp": ts(since)}
                                       for p in order[: order.index(phase) + 1]] if phase in order else []
    vmi["metadata"]["creationTimestamp"] = ts(since)
    st["conditions"] = [{**condition("Ready", "False", since, "GuestNotRunning", "Guest VM is not reported as running"),
                         "lastProbeTime": None}]
    st.pop("guestOSInfo", None)
    st.pop("interfaces", None)
    if not on_node:
        st.pop("nodeName", None)
        st["activePods"] = {}
        vmi["metadata"]["labels"].pop("kubevirt.io/nodeName", None)
    return vmi


def _restart_vm(vmset: VMSet, since: datetime) -> None:
    """The VM was (re)started at `since`: fresh VMI and launcher timestamps."""
    assert vmset.pod is not None
    vmset.pod["metadata"]["creationTimestamp"] = ts(since)


def _note(cluster: Cluster, name: str, alert: str, cause: str, vmset: VMSet, detail: str) -> None:
    cluster.note(name, alert, cause, vmset.vm, detail)


# --- VirtualMachineStuckOnNode --------------------------------------------------------------

@fault("vm-stuck-terminating", ON_NODE, "stuck-termination",
       "a VM was deleted 30+ minutes ago but its VMI's finalizers hold it on the node")
def vm_stuck_terminating(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    vmset.vm["metadata"]["deletionTimestamp"] = ts(since)
    vmset.vm["metadata"]["deletionGracePeriodSeconds"] = 0
    _vm_status(vmset, "Terminating", since)
    assert vmset.vmi is not None and vmset.pod is not None
    vmset.vmi["metadata"]["deletionTimestamp"] = ts(since)
    vmset.vmi["metadata"]["deletionGracePeriodSeconds"] = 0
    podstate.not_ready(vmset.pod, "compute", since)
    _note(cluster, "vm-stuck-terminating", ON_NODE, "stuck-termination", vmset,
          f"VM and VMI deleted at {ts(since)}, finalizers remain")


@fault("vm-image-pull-on-node", ON_NODE, "image-pull-failure",
       "a VM's containerDisk image cannot be pulled on the node its launcher pod is bound to")
def vm_image_pull_on_node(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    image = "registry.example.internal/vm-images/fedora:41-missing"
    _use_container_disk(vmset, image)
    _vm_status(vmset, "ErrImagePull", since)
    vmi = _vmi_phase(vmset, "Scheduling", since, on_node=False)
    vmi["status"]["conditions"].append({**condition("Synchronized", "False", since + timedelta(seconds=20),
                                                    "ErrImagePull", f'failed to pull image "{image}": not found'),
                                        "lastProbeTime": None})
    pod = vmset.pod
    assert pod is not None
    _restart_vm(vmset, since)
    pod["spec"]["containers"].append({"name": "volumerootdisk", "image": image})
    pod["status"]["containerStatuses"].append({"name": "volumerootdisk", "image": image, "imageID": "",
                                               "ready": False, "restartCount": 0, "started": False,
                                               "lastState": {}, "state": {}})
    podstate.image_pull(pod, "volumerootdisk", since, image, f'rpc error: code = Unknown desc = '
                        f'reading manifest 41-missing in {image.rsplit(":", 1)[0]}: manifest unknown',
                        reason="ErrImagePull", phase="Pending")
    cluster.extra.append(event(cluster.ids, pod, "Failed", f'Failed to pull image "{image}": manifest unknown',
                               cluster.at - timedelta(minutes=1), "Warning", count=8, first=since))
    _note(cluster, "vm-image-pull-on-node", ON_NODE, "image-pull-failure", vmset, f"image {image} does not exist")


def _use_container_disk(vmset: VMSet, image: str) -> None:
    spec = vmset.vm["spec"]
    spec.pop("dataVolumeTemplates", None)
    volumes = spec["template"]["spec"]["volumes"]
    volumes[0] = {"name": "rootdisk", "containerDisk": {"image": image}}
    if vmset.vmi is not None:
        vmset.vmi["spec"] = spec["template"]["spec"]
    vmset.dv = vmset.pvc = None


@fault("vm-volume-mount", ON_NODE, "volume-mount-failure",
       "a VM's disk cannot be attached to its node: the launcher pod waits in ContainerCreating")
def vm_volume_mount(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    _vm_status(vmset, "Starting", since)
    _vmi_phase(vmset, "Scheduling", since, on_node=False)
    pod = vmset.pod
    assert pod is not None and vmset.pvc is not None
    _restart_vm(vmset, since)
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
    _note(cluster, "vm-volume-mount", ON_NODE, "volume-mount-failure", vmset, f"volume {volume} fails to attach")


@fault("vm-launcher-not-ready", ON_NODE, "virt-launcher-not-ready",
       "the compute container of a starting VM's launcher pod never becomes ready (libvirt fails)")
def vm_launcher_not_ready(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    _vm_status(vmset, "Starting", since)
    _vmi_phase(vmset, "Scheduled", since)
    pod = vmset.pod
    assert pod is not None
    _restart_vm(vmset, since)
    podstate.not_ready(pod, "compute", since)
    cluster.extra.append(event(cluster.ids, pod, "Unhealthy", "Readiness probe failed: cat: /var/run/kubevirt-"
                               "infra/healthy: No such file or directory", cluster.at - timedelta(seconds=20),
                               "Warning", count=30, first=since))
    cluster.log(pod, "compute", "current", component_log("virt-launcher", cluster.at, [
        ("info", "Collected all requested hook sidecar sockets"),
        ("error", "Failed to connect to libvirt daemon: Failed to connect socket to '/var/run/libvirt/virtqemud-sock'"),
        ("error", "failed to start domain: virError(Code=38, Domain=7): internal error: process exited while connecting to monitor")]))
    _note(cluster, "vm-launcher-not-ready", ON_NODE, "virt-launcher-not-ready", vmset, "compute container not ready")


@fault("vm-kvm-unavailable", ON_NODE, "kvm-unavailable",
       "the KVM device plugin on a node stopped advertising /dev/kvm while a VM starts there")
def vm_kvm_unavailable(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster)
    name = node["metadata"]["name"]
    node["status"]["allocatable"]["devices.kubevirt.io/kvm"] = "0"
    node["status"]["capacity"]["devices.kubevirt.io/kvm"] = "0"
    vmset = pick_vm(cluster, name)
    _vm_status(vmset, "Starting", since)
    vmi = _vmi_phase(vmset, "Scheduled", since)
    vmi["status"]["conditions"].append({**condition(
        "Synchronized", "False", since + timedelta(seconds=30), "Synchronizing with the Domain failed.",
        "server error. command Launcher.Sync failed: hardware emulation device '/dev/kvm' not present"),
        "lastProbeTime": None})
    assert vmset.pod is not None
    _restart_vm(vmset, since)
    _note(cluster, "vm-kvm-unavailable", ON_NODE, "kvm-unavailable", vmset, f"{name} advertises 0 KVM devices")


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
    _vm_status(vmset, "Starting", since)
    _vmi_phase(vmset, "Scheduled", since)
    assert vmset.pod is not None
    _restart_vm(vmset, since)
    podstate.not_ready(vmset.pod, "compute", since)
    _note(cluster, "vm-node-pressure", ON_NODE, "node-resource-pressure", vmset, f"{name} has MemoryPressure")


@fault("vm-on-not-ready-node", ON_NODE, "node-not-ready", "a VM is stopping on a node that went NotReady")
def vm_on_not_ready_node(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster)
    name = node["metadata"]["name"]
    node_goes_down(cluster, node, since)
    vmset = pick_vm(cluster, name)
    _vm_status(vmset, "Stopping", since)
    vmset.vm["spec"]["runStrategy"] = "Halted"
    assert vmset.vmi is not None
    vmset.vmi["metadata"]["deletionTimestamp"] = ts(since + timedelta(minutes=1))
    _note(cluster, "vm-on-not-ready-node", ON_NODE, "node-not-ready", vmset, f"{name} is NotReady")


@fault("vm-handler-missing", ON_NODE, "virt-handler-missing",
       "a VM starts on a node whose virt-handler is crash-looping")
def vm_handler_missing(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster)["metadata"]["name"]
    _handler_crash(cluster, node, since)
    _ds_unready(cluster)
    vmset = pick_vm(cluster, node)
    _vm_status(vmset, "Starting", since)
    _vmi_phase(vmset, "Scheduled", since)
    _restart_vm(vmset, since)
    _note(cluster, "vm-handler-missing", ON_NODE, "virt-handler-missing", vmset, f"virt-handler on {node} crash-loops")


# --- VirtualMachineStuckInUnhealthyState ----------------------------------------------------

def _no_vmi(vmset: VMSet, status: str, since: datetime) -> None:
    _vm_status(vmset, status, since, "VMINotExists", "VMI does not exist")
    vmset.vmi = vmset.pod = None


@fault("vm-invalid-spec", UNHEALTHY, "invalid-spec",
       "a VM sets both spec.running and spec.runStrategy, so KubeVirt cannot start it")
def vm_invalid_spec(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    vmset.vm["spec"]["running"] = True
    _no_vmi(vmset, "Starting", since)
    vmset.vm["status"]["conditions"].append({**condition(
        "Failure", "True", since, "FailedCreate", "Running and RunStrategy are mutually exclusive"),
        "lastProbeTime": None})
    _note(cluster, "vm-invalid-spec", UNHEALTHY, "invalid-spec", vmset, "spec.running and spec.runStrategy both set")


@fault("vm-stuck-finalizer", UNHEALTHY, "stuck-finalizer",
       "a stopped VM was deleted but a finalizer keeps it Terminating")
def vm_stuck_finalizer(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    vmset.vm["metadata"]["deletionTimestamp"] = ts(since)
    vmset.vm["metadata"]["finalizers"].append("example.com/backup-protection")
    _no_vmi(vmset, "Terminating", since)
    _note(cluster, "vm-stuck-finalizer", UNHEALTHY, "stuck-finalizer", vmset, "finalizer example.com/backup-protection")


@fault("vm-controller-down", UNHEALTHY, "virt-controller-unavailable",
       "virt-controller crash-loops, so a VM that was just started never gets a VMI")
def vm_controller_down(cluster: Cluster, since: datetime) -> None:
    for pod in cluster.component_pods["virt-controller"]:
        podstate.crash_loop(pod, "virt-controller", since, cluster.at)
        cluster.log(pod, "virt-controller", "previous", component_log("virt-controller", cluster.at, [
            ("info", "Starting virt-controller"),
            ("fatal", "failed to create leader election lock: leases.coordination.k8s.io is forbidden")]))
    dep = cluster.find("Deployment", "virt-controller")
    dep["status"].update(readyReplicas=0, availableReplicas=0, unavailableReplicas=dep["spec"]["replicas"])
    dep["status"]["conditions"][0].update(status="False", reason="MinimumReplicasUnavailable",
                                          message="Deployment does not have minimum availability.",
                                          lastTransitionTime=ts(since))
    vmset = pick_vm(cluster)
    _no_vmi(vmset, "Starting", since + timedelta(minutes=1))
    _note(cluster, "vm-controller-down", UNHEALTHY, "virt-controller-unavailable", vmset,
          "virt-controller pods in CrashLoopBackOff")


@fault("vm-datavolume-import-failure", UNHEALTHY, "datavolume-import-failure",
       "a new VM's DataVolume import fails (the source URL answers 404) and keeps restarting")
def vm_datavolume_import_failure(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    dv = vmset.dv
    assert dv is not None and vmset.pvc is not None
    url = "https://images.example.internal/fedora-41.qcow2"
    dv["spec"] = {"source": {"http": {"url": url}}, "storage": {"resources": {"requests": {"storage": "30Gi"}}}}
    dv["metadata"]["creationTimestamp"] = ts(since)
    dv["status"] = {"phase": "ImportInProgress", "progress": "N/A", "restartCount": 5, "claimName": dv["metadata"]["name"],
                    "conditions": [
                        condition("Bound", "True", since, "Bound", "PVC Bound", heartbeat=cluster.at),
                        condition("Ready", "False", since, "TransferRunning", "", heartbeat=cluster.at),
                        condition("Running", "False", since + timedelta(minutes=2), "Error",
                                  "Unable to connect to http data source: expected status code 200, got 404. "
                                  "Status: 404 Not Found", heartbeat=cluster.at)]}
    _no_vmi(vmset, "DataVolumeError", since)
    cluster.extra.append(event(cluster.ids, dv, "Error", "Unable to connect to http data source: expected status "
                               "code 200, got 404. Status: 404 Not Found", cluster.at - timedelta(minutes=2),
                               "Warning", count=5, first=since, component="datavolume-import-controller"))
    _note(cluster, "vm-datavolume-import-failure", UNHEALTHY, "datavolume-import-failure", vmset, f"{url} returns 404")


@fault("vm-pvc-not-bound", UNHEALTHY, "pvc-not-bound",
       "a new VM's claim stays Pending because its storage class cannot provision")
def vm_pvc_not_bound(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    dv, pvc = vmset.dv, vmset.pvc
    assert dv is not None and pvc is not None
    sc = storage_class(cluster.ids, "nfs-legacy", "nfs.csi.k8s.io", cluster.at - timedelta(days=30))
    cluster.extra.append(sc)
    dv["spec"]["storage"]["storageClassName"] = "nfs-legacy"
    dv["status"] = {"phase": "Pending", "progress": "N/A", "claimName": dv["metadata"]["name"], "conditions": [
        condition("Bound", "False", since, "Pending", "PVC is Pending", heartbeat=cluster.at),
        condition("Ready", "False", since, heartbeat=cluster.at)]}
    pvc["spec"]["storageClassName"] = "nfs-legacy"
    pvc["spec"].pop("volumeName", None)
    pvc["metadata"]["creationTimestamp"] = ts(since)
    pvc["status"] = {"phase": "Pending"}
    cluster.extra.append(event(cluster.ids, pvc, "ProvisioningFailed", 'failed to provision volume with StorageClass '
                               '"nfs-legacy": rpc error: code = Internal desc = mount failed: exit status 32',
                               cluster.at - timedelta(minutes=1), "Warning", count=14, first=since,
                               component="nfs.csi.k8s.io"))
    _no_vmi(vmset, "Provisioning", since)
    _note(cluster, "vm-pvc-not-bound", UNHEALTHY, "pvc-not-bound", vmset, "PVC Pending: ProvisioningFailed")


@fault("vm-pvc-missing", UNHEALTHY, "pvc-not-bound", "a VM's data disk refers to a PVC that was deleted")
def vm_pvc_missing(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    vmset.vm["spec"]["template"]["spec"]["volumes"].append(
        {"name": "datadisk", "persistentVolumeClaim": {"claimName": f"{vmset.vm['metadata']['name']}-data"}})
    vmset.vm["spec"]["template"]["spec"]["domain"]["devices"]["disks"].append({"name": "datadisk", "disk": {"bus": "virtio"}})
    _vm_status(vmset, "ErrorPvcNotFound", since)
    vmi = _vmi_phase(vmset, "Pending", since, on_node=False)
    vmi["status"]["conditions"].append({**condition("Synchronized", "False", since, "FailedPvcNotFound",
                                                    f"PVC {vmset.vm['metadata']['namespace']}/"
                                                    f"{vmset.vm['metadata']['name']}-data does not exist, "
                                                    "waiting for it to appear"), "lastProbeTime": None})
    vmset.pod = None
    _note(cluster, "vm-pvc-missing", UNHEALTHY, "pvc-not-bound", vmset, "PVC <vm>-data does not exist")


@fault("vm-no-default-storage-class", UNHEALTHY, "no-default-storage-class",
       "no storage class is marked default, and a new VM's DataVolume names none")
def vm_no_default_storage_class(cluster: Cluster, since: datetime) -> None:
    for obj in cluster.infra:
        if obj["kind"] == "StorageClass":
            obj["metadata"].pop("annotations", None)
    vmset = pick_vm(cluster)
    dv = vmset.dv
    assert dv is not None
    dv["metadata"]["creationTimestamp"] = ts(since)
    dv["status"] = {"phase": "Pending", "progress": "N/A", "conditions": [
        condition("Bound", "False", since, "Pending", "No PVC found", heartbeat=cluster.at),
        condition("Ready", "False", since, heartbeat=cluster.at)]}
    vmset.pvc = None
    _no_vmi(vmset, "Provisioning", since)
    _note(cluster, "vm-no-default-storage-class", UNHEALTHY, "no-default-storage-class", vmset,
          "no StorageClass has a default annotation")


@fault("vm-containerdisk-image-pull", UNHEALTHY, "image-pull-failure",
       "a VM's containerDisk image cannot be pulled; the dump has no launcher pod (no --vms_details)")
def vm_containerdisk_image_pull(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    image = "quay.io/containerdisks/fedora:99"
    _use_container_disk(vmset, image)
    _vm_status(vmset, "ImagePullBackOff", since)
    vmi = _vmi_phase(vmset, "Scheduling", since, on_node=False)
    vmi["status"]["conditions"].append({**condition("Synchronized", "False", since + timedelta(seconds=30),
                                                    "ImagePullBackOff", f'Back-off pulling image "{image}"'),
                                        "lastProbeTime": None})
    vmset.pod = None
    _note(cluster, "vm-containerdisk-image-pull", UNHEALTHY, "image-pull-failure", vmset, f"image {image} not found")


@fault("vm-missing-secret", UNHEALTHY, "missing-secret-or-configmap",
       "a VM's cloud-init refers to a Secret that does not exist")
def vm_missing_secret(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    namespace = vmset.vm["metadata"]["namespace"]
    volumes = vmset.vm["spec"]["template"]["spec"]["volumes"]
    volumes[1] = {"name": "cloudinitdisk", "cloudInitNoCloud": {"secretRef": {"name": "cloud-init-userdata"}}}
    cluster.extra.append({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                          "metadata": {"name": "registry-pull", "namespace": namespace,
                                       "uid": cluster.ids.uid(), "resourceVersion": cluster.ids.rv(),
                                       "creationTimestamp": ts(cluster.at - timedelta(days=20))}})
    _vm_status(vmset, "Starting", since)
    _vmi_phase(vmset, "Scheduling", since, on_node=False)
    vmset.pod = None
    _note(cluster, "vm-missing-secret", UNHEALTHY, "missing-secret-or-configmap", vmset,
          "Secret cloud-init-userdata does not exist")


def _unschedulable(cluster: Cluster, vmset: VMSet, since: datetime, message: str) -> None:
    _vm_status(vmset, "ErrorUnschedulable", since)
    vmi = _vmi_phase(vmset, "Scheduling", since, on_node=False)
    vmi["status"]["conditions"].append({**condition("PodScheduled", "False", since, "Unschedulable", message),
                                        "lastProbeTime": None})
    pod = vmset.pod
    assert pod is not None
    _restart_vm(vmset, since)
    podstate.unschedulable(pod, since, message)
    cluster.extra.append(event(cluster.ids, pod, "FailedScheduling", message, cluster.at - timedelta(minutes=1),
                               "Warning", count=6, first=since, component="default-scheduler"))


def _masters_clause(cluster: Cluster) -> str:
    return f"{len(cluster.masters)} node(s) had untolerated taint {{node-role.kubernetes.io/master: }}"


@fault("vm-insufficient-memory", UNHEALTHY, "insufficient-resources",
       "a VM asks for more memory than any node has free")
def vm_insufficient_memory(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    domain = vmset.vm["spec"]["template"]["spec"]["domain"]
    domain["memory"]["guest"] = "512Gi"
    domain["resources"]["requests"]["memory"] = "512Gi"
    total = len(cluster.workers) + len(cluster.masters)
    _unschedulable(cluster, vmset, since, f"0/{total} nodes are available: {len(cluster.workers)} Insufficient "
                   f"memory, {_masters_clause(cluster)}. preemption: 0/{total} nodes are available: "
                   f"{len(cluster.workers)} No preemption victims found for incoming pod.")
    _note(cluster, "vm-insufficient-memory", UNHEALTHY, "insufficient-resources", vmset, "requests 512Gi memory")


@fault("vm-unsatisfiable-selector", UNHEALTHY, "scheduling-constraints-unsatisfiable",
       "a VM's nodeSelector asks for a label no node has")
def vm_unsatisfiable_selector(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    vmset.vm["spec"]["template"]["spec"]["nodeSelector"] = {"disktype": "nvme"}
    total = len(cluster.workers) + len(cluster.masters)
    _unschedulable(cluster, vmset, since, f"0/{total} nodes are available: {len(cluster.workers)} node(s) didn't "
                   f"match Pod's node affinity/selector, {_masters_clause(cluster)}.")
    _note(cluster, "vm-unsatisfiable-selector", UNHEALTHY, "scheduling-constraints-unsatisfiable", vmset,
          "nodeSelector disktype=nvme")


@fault("vm-no-schedulable-nodes", UNHEALTHY, "no-schedulable-nodes",
       "every worker is cordoned for maintenance while a VM starts")
def vm_no_schedulable_nodes(cluster: Cluster, since: datetime) -> None:
    for worker in cluster.workers:
        cordon(worker, since)
    vmset = pick_vm(cluster)
    total = len(cluster.workers) + len(cluster.masters)
    _unschedulable(cluster, vmset, since, f"0/{total} nodes are available: {len(cluster.workers)} node(s) were "
                   f"unschedulable, {_masters_clause(cluster)}.")
    _note(cluster, "vm-no-schedulable-nodes", UNHEALTHY, "no-schedulable-nodes", vmset, "all workers cordoned")
