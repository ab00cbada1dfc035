"""VM and VMI facts both 'stuck VM' alerts share: the VMI, its launcher pods, its node, how long."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from virt_doctor.report.model import Evidence
from virt_doctor.rules.diagnose.evidence import cond_evidence, field
from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.snapshot import Snapshot

Obj = dict[str, Any]

TRANSITIONAL = frozenset({"Starting", "Stopping", "Terminating"})
STUCK_ON_NODE_STATUSES = TRANSITIONAL | a.ERROR_STATUSES
STUCK_UNHEALTHY_STATUSES = frozenset({"Provisioning", "Starting", "Terminating"}) | a.ERROR_STATUSES


def vmi_of(snap: Snapshot, vm: Obj) -> Obj | None:
    """The VM's VMI (same namespace and name)."""
    return snap.get("VirtualMachineInstance", a.namespace(vm), a.name(vm))


def launcher_pods(snap: Snapshot, vmi: Obj) -> list[Obj]:
    """The virt-launcher pods of a VMI (label kubevirt.io/created-by, else ownerReference)."""
    pods = snap.index("pods_by_created_by", a.uid(vmi)) or snap.index("pods_by_owner", a.uid(vmi))
    return sorted(pods, key=lambda p: str((p.get("metadata") or {}).get("creationTimestamp") or ""))


def active_launcher(pods: list[Obj]) -> Obj | None:
    """The newest launcher pod that has not finished."""
    live = [p for p in pods if a.pod_phase(p) not in ("Succeeded", "Failed")] or pods
    return live[-1] if live else None


def node_of(vmi: Obj | None, pod: Obj | None) -> str:
    """Where the VMI is: its status.nodeName, else its launcher pod's node; a finished VMI is nowhere."""
    if vmi is not None and a.vmi_phase(vmi) in a.FINAL_VMI_PHASES:
        return ""
    if vmi is not None and a.vmi_node(vmi):
        return a.vmi_node(vmi)
    return a.pod_node(pod) if pod is not None else ""


def unhealthy_since(vm: Obj, vmi: Obj | None) -> datetime | None:
    """When the VM entered its current unhealthy status, as closely as the objects tell."""
    state = a.vm_status(vm)
    if state == "Terminating":
        return a.deleting_since(vm)
    candidates: list[datetime | None] = []
    if vmi is not None:
        if state in ("ErrImagePull", "ImagePullBackOff", "ErrorPvcNotFound"):
            candidates.append(a.transitioned(a.condition(vmi, "Synchronized")))
        if state == "ErrorUnschedulable":
            candidates.append(a.transitioned(a.condition(vmi, "PodScheduled")))
        if state == "Stopping":
            candidates.append(a.deleting_since(vmi))
        candidates += [a.vmi_phase_since(vmi), a.created(vmi)]
    else:
        candidates += [a.transitioned(a.condition(vm, "Failure")), a.transitioned(a.condition(vm, "Ready"))]
    candidates.append(a.created(vm))
    return next((c for c in candidates if c is not None), None)


def status_evidence(vm: Obj, vmi: Obj | None) -> list[Evidence]:
    """The VM's printableStatus and, when there is one, the VMI's phase and failing conditions."""
    evidence = [field(vm, "status.printableStatus", a.vm_status(vm))]
    failure = a.condition(vm, "Failure")
    if failure is not None and failure.get("status") == "True":
        evidence.append(cond_evidence(vm, failure))
    start_failure = a.status(vm).get("startFailure")
    if start_failure:
        evidence.append(field(vm, "status.startFailure.consecutiveFailCount",
                              start_failure.get("consecutiveFailCount"), "the VMI kept failing to start"))
    if vmi is not None:
        evidence.append(field(vmi, "status.phase", a.vmi_phase(vmi) or "(unset)"))
        for kind in ("Synchronized", "PodScheduled"):
            cond = a.condition(vmi, kind)
            if cond is not None and cond.get("status") == "False":
                evidence.append(cond_evidence(vmi, cond))
    return evidence


def volume_claims(vm: Obj) -> list[tuple[str, str, str]]:
    """(volume name, 'dataVolume'|'persistentVolumeClaim', claim name) for each disk-backed volume."""
    found = []
    for volume in a.vm_template_spec(vm).get("volumes") or []:
        if volume.get("dataVolume"):
            found.append((volume.get("name", ""), "dataVolume", volume["dataVolume"].get("name", "")))
        elif volume.get("persistentVolumeClaim"):
            found.append((volume.get("name", ""), "persistentVolumeClaim",
                          volume["persistentVolumeClaim"].get("claimName", "")))
    return found


def container_disk_images(vm: Obj) -> list[str]:
    """The containerDisk images a VM boots from."""
    return [v["containerDisk"].get("image", "") for v in a.vm_template_spec(vm).get("volumes") or []
            if v.get("containerDisk")]
