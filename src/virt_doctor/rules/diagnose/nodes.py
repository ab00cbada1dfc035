"""Node health as the runbooks read it: Ready, pressure, cordon, taints, KVM."""

from __future__ import annotations

from typing import Any

from virt_doctor.report.model import Evidence
from virt_doctor.rules.diagnose.evidence import cond_evidence, field
from virt_doctor.snapshot import access as a

Obj = dict[str, Any]

KVM = "devices.kubevirt.io/kvm"
# Taints the DaemonSet controller tolerates on every DaemonSet pod by itself.
DAEMONSET_AUTO_TOLERATED = frozenset({
    "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/memory-pressure", "node.kubernetes.io/pid-pressure", "node.kubernetes.io/unschedulable",
    "node.kubernetes.io/network-unavailable",
})


def node_not_ready(node: Obj) -> list[Evidence]:
    """Evidence that a node is NotReady (or its status Unknown); empty when Ready."""
    if a.node_ready_status(node) == "True":
        return []
    cond = a.condition(node, "Ready")
    if cond is None:
        return [field(node, "status.conditions[Ready]", None, "the node reports no Ready condition")]
    return [cond_evidence(node, cond, "kubelet is not reporting the node healthy")]


def node_pressure(node: Obj) -> list[Evidence]:
    """Evidence of Memory/Disk/PID pressure on a node."""
    return [cond_evidence(node, cond, "the kubelet evicts and refuses pods under pressure")
            for cond in a.node_pressures(node)]


def kvm_missing(node: Obj) -> list[Evidence]:
    """Evidence that a node offers no /dev/kvm to pods (allocatable devices.kubevirt.io/kvm 0 or absent)."""
    amount = a.allocatable(node, KVM)
    if amount is None:
        return [field(node, f"status.allocatable[{KVM}]", None, "the node advertises no KVM device")]
    if amount <= 0:
        return [field(node, f"status.allocatable[{KVM}]", (a.status(node).get("allocatable") or {}).get(KVM),
                      "no KVM device is allocatable on this node")]
    return []


def untolerated_taints(node: Obj, tolerations: list[Obj], daemonset: bool = False) -> list[Obj]:
    """Scheduling taints (NoSchedule/NoExecute) on the node that the tolerations do not match."""
    found = []
    for taint in a.spec(node).get("taints") or []:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if daemonset and taint.get("key") in DAEMONSET_AUTO_TOLERATED:
            continue
        if not a.taint_tolerated(taint, tolerations):
            found.append(taint)
    return found


def taint_text(taint: Obj) -> str:
    """A taint as kubectl prints it: key=value:Effect."""
    value = f"={taint['value']}" if taint.get("value") else ""
    return f"{taint.get('key')}{value}:{taint.get('effect')}"


def is_control_plane(node: Obj) -> bool:
    """Labelled as a control-plane (master) node."""
    node_labels = a.labels(node)
    return "node-role.kubernetes.io/control-plane" in node_labels or "node-role.kubernetes.io/master" in node_labels


def vm_node_blockers(node: Obj, emulation: bool = False) -> list[str]:
    """Why a node cannot run VMs (empty when it can): NotReady, cordoned, not schedulable for VMs, no KVM."""
    why = []
    if a.node_ready_status(node) != "True":
        why.append("not Ready")
    if a.node_is_cordoned(node):
        why.append("cordoned")
    if a.labels(node).get("kubevirt.io/schedulable") != "true":
        why.append(f"kubevirt.io/schedulable={a.labels(node).get('kubevirt.io/schedulable', 'unset')}")
    if not emulation and not (a.allocatable(node, KVM) or 0) > 0:
        why.append("no devices.kubevirt.io/kvm allocatable")
    return why
