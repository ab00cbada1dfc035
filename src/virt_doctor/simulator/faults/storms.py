"""Storms: one real fault with everything it sets off, as a cluster shows it — the alerts arrive many, the broken
thing is one. Each notes its root (the object the problem must be rooted at) last; a storm made of other faults
runs them through the registry, so fault families stay independent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.faults.mutations import handler_crash, node_goes_down, vm_status
from virt_doctor.simulator.faults.registry import FAULTS, fault
from virt_doctor.simulator.faults.targets import pick_vm
from virt_doctor.simulator.objects import condition, event, ts

Obj = dict[str, Any]

STORM_VMS = 4  # VMs a storage or import storm hits (fewer when the cluster has fewer)


def _busiest_worker(cluster: Cluster) -> Obj:
    """The worker whose loss hurts most: the most control-plane replicas, then the most VMs."""
    control: dict[str, int] = {}
    for pods in cluster.component_pods.values():
        for pod in pods:
            control[pod["spec"]["nodeName"]] = control.get(pod["spec"]["nodeName"], 0) + 1
    down = {i.name for i in cluster.injected if i.kind == "Node"}
    names = [w["metadata"]["name"] for w in cluster.workers if w["metadata"]["name"] not in down]
    if not names:
        raise ValueError("no worker left to take down; simulate more nodes")
    best = max(names, key=lambda n: (control.get(n, 0), len(cluster.vms_on(n)), n))
    return cluster.node(best)


@fault("storm-node-down", "OrphanedVirtualMachineInstances", "node-not-ready",
       "a worker running VMs and control-plane replicas stops reporting: its virt-handler and its virt-api, "
       "virt-controller and virt-operator pods turn not ready with it (one problem, many alerts)")
def storm_node_down(cluster: Cluster, since: datetime) -> None:
    node = _busiest_worker(cluster)
    name = node["metadata"]["name"]
    node_goes_down(cluster, node, since)
    for pods in cluster.component_pods.values():
        for pod in pods:
            if pod["spec"]["nodeName"] == name:
                for cond in pod["status"]["conditions"]:
                    if cond["type"] in ("Ready", "ContainersReady"):
                        cond.update(status="False", lastTransitionTime=ts(since + timedelta(seconds=40)))
    cluster.note("storm-node-down", "OrphanedVirtualMachineInstances", "node-not-ready", node,
                 f"{name} stopped reporting with {len(cluster.vms_on(name))} VMs on it")


@fault("storm-handler-crashloop", "NoReadyVirtHandler", "pod-crash-looping",
       "virt-handler crash-loops on every node (a bad device-plugin configuration): no node can manage its VMs")
def storm_handler_crashloop(cluster: Cluster, since: datetime) -> None:
    for node in sorted(cluster.handler_pods):
        handler_crash(cluster, node, since)
    ds = cluster.find("DaemonSet", "virt-handler")
    cluster.note("storm-handler-crashloop", "NoReadyVirtHandler", "pod-crash-looping", ds,
                 "every virt-handler pod is in CrashLoopBackOff")


IMPORT_URL = "https://images.example.internal/fedora-41.qcow2"


@fault("storm-import-source-down", "VirtualMachineStuckInUnhealthyState", "datavolume-import-failure",
       f"the image server behind several new VMs' DataVolumes answers 404 ({IMPORT_URL}): each import restarts "
       "and each VM is stuck")
def storm_import_source_down(cluster: Cluster, since: datetime) -> None:
    one = FAULTS["vm-datavolume-import-failure"].fn  # one VM's failing import, from the same URL each time
    for _ in range(min(STORM_VMS, len(cluster.vms))):
        one(cluster, since)
    cluster.note("storm-import-source-down", "VirtualMachineStuckInUnhealthyState", "datavolume-import-failure",
                 "ImportSource", f"{IMPORT_URL} answers 404", name=IMPORT_URL)


@fault("storm-storage-class-gone", "CDIDataImportCronOutdated", "storage-class-missing",
       "the storage class fast-ssd was deleted: the boot-image cron and several new VMs' DataVolumes still name it "
       "and their claims stay Pending")
def storm_storage_class_gone(cluster: Cluster, since: datetime) -> None:
    FAULTS["cron-storage-class-missing"].fn(cluster, since)  # the cron imports into fast-ssd
    for _ in range(min(STORM_VMS, len(cluster.vms))):
        _claim_on_missing_class(cluster, since, "fast-ssd")
    cluster.note("storm-storage-class-gone", "CDIDataImportCronOutdated", "storage-class-missing", "StorageClass",
                 "fast-ssd was deleted", name="fast-ssd")


def _claim_on_missing_class(cluster: Cluster, since: datetime, name: str) -> None:
    """A new VM whose DataVolume's claim names a storage class that does not exist: Pending, ProvisioningFailed."""
    vmset = pick_vm(cluster)
    dv, pvc = vmset.dv, vmset.pvc
    assert dv is not None and pvc is not None
    dv["spec"]["storage"]["storageClassName"] = name
    dv["metadata"]["creationTimestamp"] = ts(since)
    dv["status"] = {"phase": "Pending", "progress": "N/A", "claimName": dv["metadata"]["name"], "conditions": [
        condition("Bound", "False", since, "Pending", "PVC is Pending", heartbeat=cluster.at),
        condition("Ready", "False", since, heartbeat=cluster.at)]}
    pvc["spec"]["storageClassName"] = name
    pvc["spec"].pop("volumeName", None)
    pvc["metadata"]["creationTimestamp"] = ts(since)
    pvc["status"] = {"phase": "Pending"}
    cluster.extra.append(event(cluster.ids, pvc, "ProvisioningFailed",
                               f'storageclass.storage.k8s.io "{name}" not found', cluster.at - timedelta(minutes=1),
                               "Warning", count=14, first=since, component="persistentvolume-controller"))
    vm_status(vmset, "Provisioning", since, "VMINotExists", "VMI does not exist")
    vmset.vmi = vmset.pod = None
    cluster.note("storm-storage-class-gone", "VirtualMachineStuckInUnhealthyState", "pvc-not-bound", vmset.vm,
                 f"its claim names {name}")


@fault("storm-cdi-down", "HCOOperatorConditionsUnhealthy", "operand-not-available",
       "cdi-deployment crash-loops: the CDI CR turns degraded and HCO reports CDI not available")
def storm_cdi_down(cluster: Cluster, since: datetime) -> None:
    FAULTS["cdi-not-ready"].fn(cluster, since)
    FAULTS["hco-operand-degraded"].fn(cluster, since)
    deployment = cluster.find("Deployment", "cdi-deployment")
    cluster.note("storm-cdi-down", "HCOOperatorConditionsUnhealthy", "operand-not-available", deployment,
                 "cdi-deployment crash-loops; CDI and HCO report it")
