"""Faults for the object-based alerts upstream added beyond the seeds: a control-plane node down, a descheduler
without a VM profile, CNAO still deploying nmstate, a MAC used twice, a volume hot-plugged without persisting."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator import objects as o
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.faults.mutations import only_object, set_node_not_ready
from virt_doctor.simulator.faults.registry import fault, noted
from virt_doctor.simulator.faults.targets import pick_vm
from virt_doctor.simulator.vms import VMSet

Obj = dict[str, Any]


def _master(cluster: Cluster) -> Obj:
    if not cluster.masters:
        raise ValueError("no control-plane node in the simulated cluster")
    return cluster.masters[0]


@fault("control-plane-unreachable", "HAControlPlaneDown", "kubelet-stopped-reporting",
       "a control-plane node stops reporting (powered off or cut off from the network)")
def control_plane_unreachable(cluster: Cluster, since: datetime) -> None:
    node = _master(cluster)
    set_node_not_ready(node, since)
    noted(cluster, "control-plane-unreachable", node, "Ready Unknown: kubelet stopped posting node status")


def _ready_false(node: Obj, since: datetime, reason: str, message: str) -> None:
    for cond in node["status"]["conditions"]:
        if cond["type"] == "Ready":
            cond.update(status="False", reason=reason, message=message, lastTransitionTime=o.ts(since))


@fault("control-plane-disk-pressure", "HAControlPlaneDown", "node-pressure",
       "a control-plane node's disk fills up: DiskPressure, then not Ready")
def control_plane_disk_pressure(cluster: Cluster, since: datetime) -> None:
    node = _master(cluster)
    for cond in node["status"]["conditions"]:
        if cond["type"] == "DiskPressure":
            cond.update(status="True", reason="KubeletHasDiskPressure", message="kubelet has disk pressure",
                        lastTransitionTime=o.ts(since - timedelta(minutes=2)))
    _ready_false(node, since, "KubeletNotReady", "PLEG is not healthy: pleg was last seen active 3m0s ago")
    noted(cluster, "control-plane-disk-pressure", node, "DiskPressure True, Ready False")


@fault("control-plane-not-ready", "HAControlPlaneDown", "kubelet-not-ready",
       "a control-plane node's network plugin is not ready")
def control_plane_not_ready(cluster: Cluster, since: datetime) -> None:
    node = _master(cluster)
    _ready_false(node, since, "KubeletNotReady", "container runtime network not ready: NetworkReady=false "
                 "reason:NetworkPluginNotReady message:Network plugin returns error: no CNI configuration file")
    noted(cluster, "control-plane-not-ready", node, "Ready False: network plugin not ready")


@fault("descheduler-without-vm-profile", "HCOMisconfiguredDescheduler", "no-kubevirt-profile",
       "the Kube Descheduler runs the AffinityAndTaints profile only, which evicts VMs instead of migrating them")
def descheduler_without_vm_profile(cluster: Cluster, since: datetime) -> None:
    cr = {"apiVersion": "operator.openshift.io/v1", "kind": "KubeDescheduler",
          "metadata": o.meta(cluster.ids, "cluster", "openshift-kube-descheduler-operator", since),
          "spec": {"managementState": "Managed", "deschedulingIntervalSeconds": 3600,
                   "profiles": ["AffinityAndTaints"], "mode": "Automatic"},
          "status": {"observedGeneration": 1}}
    cluster.infra.append(cr)
    noted(cluster, "descheduler-without-vm-profile", cr, "profiles: AffinityAndTaints")


@fault("cnao-deploys-nmstate", "CnaoNmstateMigration", "nmstate-operator-missing",
       "the NetworkAddonsConfig still asks CNAO for nmstate and the standalone NMState operator is not installed")
def cnao_deploys_nmstate(cluster: Cluster, since: datetime) -> None:
    nac = only_object(cluster, "NetworkAddonsConfig")
    nac["spec"]["nmstate"] = {}
    noted(cluster, "cnao-deploys-nmstate", nac, "spec.nmstate set; no NMState CR")


def _mac_of(vmset: Any) -> str:
    return str(vmset.vm["spec"]["template"]["spec"]["domain"]["devices"]["interfaces"][0]["macAddress"])


def _same_mac(cluster: Cluster, name: str, copied: str | None) -> None:
    """A second running VM gets the first one's MAC (its spec and what its VMI reports); `copied`: how it was made
    from the first ("kubevirt": a KubeVirt snapshot restore, "velero": an OADP restore), None: by hand."""
    first = pick_vm(cluster)
    second = next(v for v in cluster.vms if v.vmi is not None and v.key != first.key
                  and v.key not in {(i.namespace, i.name) for i in cluster.injected})
    mac = _mac_of(first)
    for vmset in (second,):
        vmset.vm["spec"]["template"]["spec"]["domain"]["devices"]["interfaces"][0]["macAddress"] = mac
        assert vmset.vmi is not None
        vmset.vmi["spec"]["domain"]["devices"]["interfaces"][0]["macAddress"] = mac
        for iface in vmset.vmi["status"]["interfaces"]:
            iface["mac"] = mac
        if copied == "kubevirt":
            vmset.vm["metadata"].setdefault("annotations", {})["restore.kubevirt.io/lastRestoreUID"] = \
                f"{first.vm['metadata']['name']}-snapshot-restore-{cluster.ids.suffix()}"
        elif copied == "velero":  # Velero labels every object it restores with its Restore's name
            vmset.vm["metadata"].setdefault("labels", {}).update({
                "velero.io/backup-name": f"nightly-{cluster.ids.suffix()}",
                "velero.io/restore-name": f"nightly-restore-{cluster.ids.suffix()}"})
    subject = min((first, second), key=lambda v: (v.key[0], v.key[1]))
    noted(cluster, name, "VirtualMachineInstance", f"MAC {mac} on {first.key[1]} and {second.key[1]}",
          subject.key[0], subject.key[1])


@fault("mac-set-twice", "KubemacpoolMACCollisionDetected", "mac-set-by-hand",
       "a VM's spec sets by hand the MAC address another running VM already uses")
def mac_set_twice(cluster: Cluster, since: datetime) -> None:
    _same_mac(cluster, "mac-set-twice", copied=None)


@fault("mac-restored-copy", "KubemacpoolMACCollisionDetected", "cloned-vm",
       "a VM restored from another's snapshot keeps the source's MAC while the source still runs")
def mac_restored_copy(cluster: Cluster, since: datetime) -> None:
    _same_mac(cluster, "mac-restored-copy", copied="kubevirt")


@fault("mac-velero-restore", "KubemacpoolMACCollisionDetected", "cloned-vm",
       "a VM restored by Velero/OADP into another namespace keeps its source's MAC while the source still runs")
def mac_velero_restore(cluster: Cluster, since: datetime) -> None:
    _same_mac(cluster, "mac-velero-restore", copied="velero")


def _running_vmi(cluster: Cluster) -> tuple[VMSet, str, str]:
    """A running VM not yet faulted (its VMI is there), with its namespace and name."""
    vmset = pick_vm(cluster)
    return vmset, *vmset.key


@fault("ephemeral-hotplug", "VirtualMachineInstanceHasEphemeralHotplugVolume", "hotplugged-without-persist",
       "a volume is hot-plugged into a running VM without --persist (in the VMI only)")
def ephemeral_hotplug(cluster: Cluster, since: datetime) -> None:
    vmset, ns, vm = _running_vmi(cluster)
    assert vmset.vmi is not None
    volume = "scratch-disk"
    vmset.vmi["spec"] = copy.deepcopy(vmset.vmi["spec"])  # the VMI's own spec from now on, not its VM's template
    vmset.vmi["spec"]["volumes"] = [*vmset.vmi["spec"].get("volumes", []), {
        "name": volume, "persistentVolumeClaim": {"claimName": f"{vm}-scratch", "hotpluggable": True}}]
    vmset.vmi["spec"]["domain"]["devices"]["disks"] = [*vmset.vmi["spec"]["domain"]["devices"].get("disks", []),
                                                       {"name": volume, "disk": {"bus": "scsi"}}]
    vmset.vmi["status"].setdefault("volumeStatus", []).append({
        "name": volume, "target": "sda", "phase": "Ready", "reason": "VolumeReady",
        "message": "Successfully attach hotplugged volume scratch-disk to VM",
        "hotplugVolume": {"attachPodName": f"hp-volume-{cluster.ids.suffix()}", "attachPodUID": cluster.ids.uid()},
        "persistentVolumeClaimInfo": {"claimName": f"{vm}-scratch"}})
    noted(cluster, "ephemeral-hotplug", "VirtualMachineInstance", f"volume {volume} hot-plugged without --persist",
          ns, vm)


@fault("ephemeral-hotplug-standalone", "VirtualMachineInstanceHasEphemeralHotplugVolume", "standalone-vmi",
       "a VMI created on its own (no VM) has a volume hot-plugged into it")
def ephemeral_hotplug_standalone(cluster: Cluster, since: datetime) -> None:
    vmset, ns, vm = _running_vmi(cluster)
    assert vmset.vmi is not None
    vmset.vmi["metadata"] = copy.deepcopy(vmset.vmi["metadata"])
    vmset.vmi["metadata"].pop("ownerReferences", None)
    vmset.vmi["metadata"].setdefault("annotations", {})["kubevirt.io/ephemeral-hotplug-volumes"] = "scratch-disk"
    cluster.vms.remove(vmset)  # no VM: the VMI (and its launcher) stand alone
    cluster.extra += [obj for obj in (vmset.vmi, vmset.pod, vmset.dv, vmset.pvc) if obj is not None]
    noted(cluster, "ephemeral-hotplug-standalone", "VirtualMachineInstance", "standalone VMI with a hot-plugged "
          "volume", ns, vm)
