"""VirtualMachineStuckInUnhealthyState faults: a VM with no VMI on a node is stuck."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator import podstate
from virt_doctor.simulator.cluster import Cluster, component_log
from virt_doctor.simulator.faults.mutations import (
    UNHEALTHY,
    cordon,
    note_vm,
    use_container_disk,
    vm_restarted_stuck,
    vm_status,
    vmi_phase,
)
from virt_doctor.simulator.faults.registry import fault
from virt_doctor.simulator.faults.targets import pick_vm
from virt_doctor.simulator.objects import condition, event, storage_class, ts
from virt_doctor.simulator.vms import VMSet, launcher_memory

Obj = dict[str, Any]


def _no_vmi(vmset: VMSet, status: str, since: datetime) -> None:
    vm_status(vmset, status, since, "VMINotExists", "VMI does not exist")
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
    note_vm(cluster, "vm-invalid-spec", UNHEALTHY, "invalid-spec", vmset, "spec.running and spec.runStrategy both set")


@fault("vm-stuck-finalizer", UNHEALTHY, "stuck-finalizer",
       "a stopped VM was deleted but a finalizer keeps it Terminating")
def vm_stuck_finalizer(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    vmset.vm["metadata"]["deletionTimestamp"] = ts(since)
    vmset.vm["metadata"]["finalizers"].append("example.com/backup-protection")
    _no_vmi(vmset, "Terminating", since)
    note_vm(cluster, "vm-stuck-finalizer", UNHEALTHY, "stuck-finalizer", vmset, "finalizer example.com/backup-protection")


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
    note_vm(cluster, "vm-controller-down", UNHEALTHY, "virt-controller-unavailable", vmset,
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
    note_vm(cluster, "vm-datavolume-import-failure", UNHEALTHY, "datavolume-import-failure", vmset, f"{url} returns 404")


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
    note_vm(cluster, "vm-pvc-not-bound", UNHEALTHY, "pvc-not-bound", vmset, "PVC Pending: ProvisioningFailed")


@fault("vm-pvc-missing", UNHEALTHY, "pvc-not-bound", "a VM's data disk refers to a PVC that was deleted")
def vm_pvc_missing(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    vmset.vm["spec"]["template"]["spec"]["volumes"].append(
        {"name": "datadisk", "persistentVolumeClaim": {"claimName": f"{vmset.vm['metadata']['name']}-data"}})
    vmset.vm["spec"]["template"]["spec"]["domain"]["devices"]["disks"].append({"name": "datadisk", "disk": {"bus": "virtio"}})
    vm_status(vmset, "ErrorPvcNotFound", since)
    vmi = vmi_phase(vmset, "Pending", since, on_node=False)
    vmi["status"]["conditions"].append({**condition("Synchronized", "False", since, "FailedPvcNotFound",
                                                    f"PVC {vmset.vm['metadata']['namespace']}/"
                                                    f"{vmset.vm['metadata']['name']}-data does not exist, "
                                                    "waiting for it to appear"), "lastProbeTime": None})
    vmset.pod = None
    note_vm(cluster, "vm-pvc-missing", UNHEALTHY, "pvc-not-bound", vmset, "PVC <vm>-data does not exist")


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
    note_vm(cluster, "vm-no-default-storage-class", UNHEALTHY, "no-default-storage-class", vmset,
            "no StorageClass has a default annotation")


@fault("vm-containerdisk-image-pull", UNHEALTHY, "image-pull-failure",
       "a VM's containerDisk image cannot be pulled; the dump has no launcher pod (no --vms_details)")
def vm_containerdisk_image_pull(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    image = "quay.io/containerdisks/fedora:99"
    use_container_disk(vmset, image)
    vm_status(vmset, "ImagePullBackOff", since)
    vmi = vmi_phase(vmset, "Scheduling", since, on_node=False)
    vmi["status"]["conditions"].append({**condition("Synchronized", "False", since + timedelta(seconds=30),
                                                    "ImagePullBackOff", f'Back-off pulling image "{image}"'),
                                        "lastProbeTime": None})
    vmset.pod = None
    note_vm(cluster, "vm-containerdisk-image-pull", UNHEALTHY, "image-pull-failure", vmset, f"image {image} not found")


@fault("vm-missing-secret", UNHEALTHY, "missing-secret-or-configmap",
       "a VM's cloud-init refers to a Secret that does not exist")
def vm_missing_secret(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    namespace = vmset.vm["metadata"]["namespace"]
    volumes = vmset.vm["spec"]["template"]["spec"]["volumes"]
    volumes[1] = {"name": "cloudinitdisk", "cloudInitNoCloud": {"secretRef": {"name": "cloud-init-userdata"}}}
    cluster.extra.append({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                          "data": {".dockerconfigjson": "eyJhdXRocyI6e319"},  # {"auths":{}}
                          "metadata": {"name": "registry-pull", "namespace": namespace,
                                       "uid": cluster.ids.uid(), "resourceVersion": cluster.ids.rv(),
                                       "creationTimestamp": ts(cluster.at - timedelta(days=20))}})
    vm_status(vmset, "Starting", since)
    vmi_phase(vmset, "Scheduling", since, on_node=False)
    vmset.pod = None
    note_vm(cluster, "vm-missing-secret", UNHEALTHY, "missing-secret-or-configmap", vmset,
            "Secret cloud-init-userdata does not exist")


def _unschedulable(cluster: Cluster, vmset: VMSet, since: datetime, message: str) -> None:
    vmi = vm_restarted_stuck(vmset, "ErrorUnschedulable", "Scheduling", since, on_node=False)
    vmi["status"]["conditions"].append({**condition("PodScheduled", "False", since, "Unschedulable", message),
                                        "lastProbeTime": None})
    pod = vmset.pod
    assert pod is not None
    podstate.unschedulable(pod, since, message)
    cluster.extra.append(event(cluster.ids, pod, "FailedScheduling", message, cluster.at - timedelta(minutes=1),
                               "Warning", count=6, first=since, component="default-scheduler"))


def _masters_clause(cluster: Cluster) -> str:
    return f"{len(cluster.masters)} node(s) had untolerated taint {{node-role.kubernetes.io/master: }}"


@fault("vm-insufficient-memory", UNHEALTHY, "insufficient-resources",
       "a VM asks for more memory than any node has free")
def vm_insufficient_memory(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    # the VM asks, its new VMI carries it, and virt-controller renders it into the launcher pod's request (which is
    # what the scheduler weighs: a real kube-scheduler placed the pod when only the VM asked, tests/control/)
    for spec in (vmset.vm["spec"]["template"]["spec"], *([vmset.vmi["spec"]] if vmset.vmi else [])):
        spec["domain"].setdefault("memory", {})["guest"] = "512Gi"
        spec["domain"].setdefault("resources", {}).setdefault("requests", {})["memory"] = "512Gi"
    assert vmset.pod is not None
    vmset.pod["spec"]["containers"][0]["resources"]["requests"]["memory"] = launcher_memory("512Gi")
    total = len(cluster.workers) + len(cluster.masters)
    _unschedulable(cluster, vmset, since, f"0/{total} nodes are available: {len(cluster.workers)} Insufficient "
                   f"memory, {_masters_clause(cluster)}. preemption: 0/{total} nodes are available: "
                   f"{len(cluster.workers)} No preemption victims found for incoming pod, {len(cluster.masters)} "
                   "Preemption is not helpful for scheduling.")  # as kube-scheduler 1.32 says it (tests/control/)
    note_vm(cluster, "vm-insufficient-memory", UNHEALTHY, "insufficient-resources", vmset, "requests 512Gi memory")


@fault("vm-unsatisfiable-selector", UNHEALTHY, "scheduling-constraints-unsatisfiable",
       "a VM's nodeSelector asks for a label no node has")
def vm_unsatisfiable_selector(cluster: Cluster, since: datetime) -> None:
    vmset = pick_vm(cluster)
    vmset.vm["spec"]["template"]["spec"]["nodeSelector"] = {"disktype": "nvme"}
    total = len(cluster.workers) + len(cluster.masters)
    _unschedulable(cluster, vmset, since, f"0/{total} nodes are available: {len(cluster.workers)} node(s) didn't "
                   f"match Pod's node affinity/selector, {_masters_clause(cluster)}.")
    note_vm(cluster, "vm-unsatisfiable-selector", UNHEALTHY, "scheduling-constraints-unsatisfiable", vmset,
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
    note_vm(cluster, "vm-no-schedulable-nodes", UNHEALTHY, "no-schedulable-nodes", vmset, "all workers cordoned")
