"""Can a VM's launcher pod be placed anywhere? Nodes, KVM, selectors, taints, free memory."""

from __future__ import annotations

from typing import Any

from virt_doctor.report.model import Evidence
from virt_doctor.rules.diagnose.evidence import field
from virt_doctor.rules.diagnose.nodes import KVM, untolerated_taints
from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.snapshot import Snapshot
from virt_doctor.wording import counted

Obj = dict[str, Any]

INSUFFICIENT_WORDS = ("insufficient", "too many pods")
CONSTRAINT_WORDS = ("didn't match", "node affinity", "node selector", "matchnodeselector", "untolerated taint",
                    "had taint", "had untolerated", "didn't satisfy")
UNSCHEDULABLE_WORDS = ("were unschedulable", "node(s) were unschedulable", "no nodes available")


def vm_host_candidates(snap: Snapshot) -> list[Obj]:
    """Nodes that can host any VM at all: Ready, not cordoned, kubevirt.io/schedulable, KVM allocatable."""
    return list(snap.derived("vm_host_candidates", lambda: [
        n for n in snap.kind("Node") if a.node_ready_status(n) == "True" and not a.node_is_cordoned(n)
        and a.labels(n).get("kubevirt.io/schedulable") == "true" and (a.allocatable(n, KVM) or 0) > 0]))


def scheduler_message_cause(message: str) -> str | None:
    """Read the scheduler's 'n/m nodes are available: ...' message for the dominant reason."""
    text = message.lower()
    if any(w in text for w in INSUFFICIENT_WORDS):
        return "insufficient-resources"
    if any(w in text for w in CONSTRAINT_WORDS):
        return "scheduling-constraints-unsatisfiable"
    if any(w in text for w in UNSCHEDULABLE_WORDS):
        return "no-schedulable-nodes"
    return None


def constraint_misses(vm: Obj, nodes: list[Obj]) -> tuple[list[Obj], list[Evidence]]:
    """The candidate nodes the VM's nodeSelector, affinity and tolerations admit, and why the others fail."""
    template = a.vm_template_spec(vm)
    selector = template.get("nodeSelector") or {}
    affinity = template.get("affinity")
    tolerations = template.get("tolerations") or []
    admitted, evidence = [], []
    rejected_selector = rejected_taint = 0
    for node in nodes:
        node_labels = a.labels(node)
        if not a.selector_matches(selector, node_labels) or not a.required_affinity_matches(affinity, node_labels):
            rejected_selector += 1
            continue
        if untolerated_taints(node, tolerations):
            rejected_taint += 1
            continue
        admitted.append(node)
    if rejected_selector:
        evidence.append(field(vm, "spec.template.spec.nodeSelector" if selector else "spec.template.spec.affinity",
                              selector or "required node affinity",
                              f"matches none of {counted(rejected_selector, 'candidate node')}" if not admitted
                              else f"excludes {counted(rejected_selector, 'node')}"))
    if rejected_taint:
        evidence.append(field(vm, "spec.template.spec.tolerations", tolerations,
                              f"{counted(rejected_taint, 'node')} {'carries' if rejected_taint == 1 else 'carry'} taints "
                              "the VM does not tolerate"))
    return admitted, evidence


def memory_request(vm: Obj) -> float:
    """The memory the VM's launcher will request (domain requests, else guest memory)."""
    domain = a.vm_template_spec(vm).get("domain") or {}
    requested = ((domain.get("resources") or {}).get("requests") or {}).get("memory")
    guest = (domain.get("memory") or {}).get("guest")
    return a.quantity(requested or guest or 0)


def free_memory(snap: Snapshot, node: Obj) -> float:
    """A node's allocatable memory less what its live pods request."""
    used = 0.0
    for pod in snap.index("pods_by_node", a.name(node)):
        if a.pod_phase(pod) in ("Succeeded", "Failed"):
            continue
        for container in a.spec(pod).get("containers") or []:
            used += a.quantity(((container.get("resources") or {}).get("requests") or {}).get("memory") or 0)
    return (a.allocatable(node, "memory") or 0) - used
