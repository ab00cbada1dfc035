"""Live-migration faults: VMIs that cannot migrate, excessive migrations, outdated workloads."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.faults.mutations import cordon, only_object
from virt_doctor.simulator.faults.registry import fault
from virt_doctor.simulator.faults.targets import pick_vm, pick_worker
from virt_doctor.simulator.objects import event, meta, ts

Obj = dict[str, Any]


def _not_migratable(cluster: Cluster, since: datetime, fault_name: str, cause: str, reason: str, message: str) -> None:
    vmset = pick_vm(cluster)
    assert vmset.vmi is not None
    for cond in vmset.vmi["status"]["conditions"]:
        if cond["type"] == "LiveMigratable":
            cond.update(status="False", reason=reason, message=message, lastTransitionTime=ts(since))
    cluster.note(fault_name, "VMCannotBeEvicted", cause, vmset.vmi, message)


@fault("vmi-rwo-disk", "VMCannotBeEvicted", "disks-not-live-migratable",
       "a LiveMigrate VMI has a ReadWriteOnce disk, so it cannot be migrated")
def vmi_rwo_disk(cluster: Cluster, since: datetime) -> None:
    _not_migratable(cluster, since, "vmi-rwo-disk", "disks-not-live-migratable", "DisksNotLiveMigratable",
                    "cannot migrate VMI: PVC rootdisk is not shared, live migration requires that all PVCs must be "
                    "shared (using ReadWriteMany access mode)")


@fault("vmi-bridge-interface", "VMCannotBeEvicted", "interface-not-live-migratable",
       "a LiveMigrate VMI uses bridge binding on the pod network")
def vmi_bridge_interface(cluster: Cluster, since: datetime) -> None:
    _not_migratable(cluster, since, "vmi-bridge-interface", "interface-not-live-migratable",
                    "InterfaceNotLiveMigratable",
                    "cannot migrate VMI which does not use masquerade to connect to the pod network")


@fault("vmi-host-device", "VMCannotBeEvicted", "host-device-not-live-migratable",
       "a LiveMigrate VMI has a passed-through host device")
def vmi_host_device(cluster: Cluster, since: datetime) -> None:
    _not_migratable(cluster, since, "vmi-host-device", "host-device-not-live-migratable",
                    "HostDeviceNotLiveMigratable", "VMI uses a PCI host devices")


def _migrations(cluster: Cluster, since: datetime, source: str, count: int = 14) -> tuple[str, str]:
    vmset = pick_vm(cluster)
    ns, name = vmset.key
    for index in range(count):
        finished = cluster.at - timedelta(minutes=20 + index * 90)
        cluster.extra.append({
            "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceMigration",
            "metadata": meta(cluster.ids, f"kubevirt-evacuation-{cluster.ids.suffix()}", ns,
                             finished - timedelta(minutes=2), {"kubevirt.io/vmi-name": name}),
            "spec": {"vmiName": name},
            "status": {"phase": "Succeeded", "migrationState": {
                "sourceNode": source, "targetNode": vmset.node, "completed": True,
                "startTimestamp": ts(finished - timedelta(minutes=1)), "endTimestamp": ts(finished)}}})
    return ns, name


@fault("excessive-migrations", "KubeVirtVMIExcessiveMigrations", "node-pressure",
       "a VMI is evicted again and again from a node under memory pressure (14 migrations in 24 h)")
def excessive_migrations(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster, with_vms=False)
    for cond in node["status"]["conditions"]:
        if cond["type"] == "MemoryPressure":
            cond.update(status="True", reason="KubeletHasInsufficientMemory",
                        message="kubelet has insufficient memory available", lastTransitionTime=ts(since))
    ns, name = _migrations(cluster, since, node["metadata"]["name"])
    cluster.note("excessive-migrations", "KubeVirtVMIExcessiveMigrations", "node-pressure", "VirtualMachineInstance",
                 f"14 migrations away from {node['metadata']['name']}", ns, name)


@fault("excessive-migrations-drain", "KubeVirtVMIExcessiveMigrations", "repeated-drains",
       "a VMI keeps being migrated off a node that automation drains again and again")
def excessive_migrations_drain(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster, with_vms=False)
    cordon(node, since)
    cluster.extra.append(event(cluster.ids, node, "NodeNotSchedulable", f"Node {node['metadata']['name']} status is "
                               "now: NodeNotSchedulable", cluster.at - timedelta(minutes=30), count=13,
                               first=cluster.at - timedelta(hours=20), component="kubelet"))
    ns, name = _migrations(cluster, since, node["metadata"]["name"])
    cluster.note("excessive-migrations-drain", "KubeVirtVMIExcessiveMigrations", "repeated-drains",
                 "VirtualMachineInstance", f"14 migrations off drained {node['metadata']['name']}", ns, name)


def _kubevirt_updated(cluster: Cluster, when: datetime) -> Obj:
    kubevirt = only_object(cluster, "KubeVirt")
    for cond in kubevirt["status"]["conditions"]:
        cond["lastTransitionTime"] = ts(when)
    return kubevirt


def _outdate_vmi(cluster: Cluster, vmset: Any) -> None:
    """The VMI keeps the launcher of the previous version; virt-controller labels it, virt-operator counts it."""
    vmset.vmi["metadata"]["labels"]["kubevirt.io/outdatedLauncherImage"] = ""
    vmset.vmi["status"]["launcherContainerImageVersion"] = "quay.io/kubevirt/virt-launcher:v1.4.1"
    only_object(cluster, "KubeVirt")["status"]["outdatedVirtualMachineInstanceWorkloads"] += 1


@fault("outdated-no-strategy", "OutdatedVirtualMachineInstanceWorkloads", "workload-updates-not-configured",
       "KubeVirt was updated 2 days ago with automatic workload updates off; VMIs keep old launchers")
def outdated_no_strategy(cluster: Cluster, since: datetime) -> None:
    kubevirt = _kubevirt_updated(cluster, cluster.at - timedelta(days=2))
    kubevirt["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"] = []
    for hco in cluster.find_kind("HyperConverged"):  # set where it is owned: HCO copies it into the KubeVirt CR
        hco["spec"]["workloadUpdateStrategy"] = {**hco["spec"]["workloadUpdateStrategy"], "workloadUpdateMethods": []}
    for vmset in [v for v in cluster.vms if v.vmi is not None][:3]:
        _outdate_vmi(cluster, vmset)
    cluster.note("outdated-no-strategy", "OutdatedVirtualMachineInstanceWorkloads", "workload-updates-not-configured",
                 kubevirt, "workloadUpdateMethods is empty")


@fault("outdated-not-migratable", "OutdatedVirtualMachineInstanceWorkloads", "vmi-not-live-migratable",
       "a VMI cannot be live-migrated, so it still runs the launcher of before the update 2 days ago")
def outdated_not_migratable(cluster: Cluster, since: datetime) -> None:
    _kubevirt_updated(cluster, cluster.at - timedelta(days=2))
    vmset = pick_vm(cluster)
    _outdate_vmi(cluster, vmset)
    for cond in vmset.vmi["status"]["conditions"]:  # type: ignore[index]
        if cond["type"] == "LiveMigratable":
            cond.update(status="False", reason="DisksNotLiveMigratable", message="PVC rootdisk is not shared")
    vmset.vm["spec"]["template"]["spec"]["evictionStrategy"] = "None"
    vmset.vmi["spec"]["evictionStrategy"] = "None"  # type: ignore[index]
    cluster.note("outdated-not-migratable", "OutdatedVirtualMachineInstanceWorkloads", "vmi-not-live-migratable",
                 vmset.vmi, "not live-migratable")  # type: ignore[arg-type]


@fault("outdated-migration-failing", "OutdatedVirtualMachineInstanceWorkloads", "migration-failing",
       "the update migrations of a VMI keep failing since the update 2 days ago")
def outdated_migration_failing(cluster: Cluster, since: datetime) -> None:
    _kubevirt_updated(cluster, cluster.at - timedelta(days=2))
    vmset = pick_vm(cluster)
    _outdate_vmi(cluster, vmset)
    ns, name = vmset.key
    for index in range(3):
        started = cluster.at - timedelta(hours=20 - index * 5)
        cluster.extra.append({
            "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceMigration",
            "metadata": meta(cluster.ids, f"kubevirt-workload-update-{cluster.ids.suffix()}", ns, started,
                             {"kubevirt.io/vmi-name": name}),
            "spec": {"vmiName": name},
            "status": {"phase": "Failed", "migrationState": {
                "sourceNode": vmset.node, "failed": True, "startTimestamp": ts(started),
                "failureReason": "Live migration failed: target node did not become ready in 5m0s"}}})
    cluster.note("outdated-migration-failing", "OutdatedVirtualMachineInstanceWorkloads", "migration-failing",
                 vmset.vmi, "3 failed update migrations")  # type: ignore[arg-type]
