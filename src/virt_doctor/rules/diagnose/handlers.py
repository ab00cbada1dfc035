"""virt-handler on a node: is there a ready one, and if not, why not."""

from __future__ import annotations

from typing import Any

from virt_doctor.report.model import Evidence
from virt_doctor.rules.diagnose.evidence import field
from virt_doctor.rules.diagnose.nodes import taint_text, untolerated_taints
from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.discover import kubevirt_cr
from virt_doctor.snapshot.snapshot import Snapshot

Obj = dict[str, Any]


def ready_handler(snap: Snapshot, node: str) -> Obj | None:
    """A Running, Ready virt-handler pod on the node, if any."""
    for pod in snap.index("handler_pods_by_node", node):
        if a.pod_is_ready(pod):
            return pod
    return None


def daemonset_health(ds: Obj) -> tuple[bool, Evidence]:
    """Healthy when desired, ready and available agree (the runbook's test), with the counts as evidence."""
    st = a.status(ds)
    desired, ready, available = (int(st.get(k) or 0) for k in
                                 ("desiredNumberScheduled", "numberReady", "numberAvailable"))
    healthy = desired == ready == available
    value = f"desired {desired}, ready {ready}, available {available}"
    return healthy, field(ds, "status", value, "healthy" if healthy else "desired, ready and available differ")


def placement_exclusion(snap: Snapshot, ds: Obj | None, node: Obj) -> list[Evidence]:
    """Evidence that the KubeVirt CR's workloads placement, or the DaemonSet's, leaves the node out."""
    node_labels = a.labels(node)
    evidence: list[Evidence] = []
    cr = kubevirt_cr(snap)
    placement = ((a.spec(cr).get("workloads") or {}).get("nodePlacement") or {}) if cr else {}
    selector = placement.get("nodeSelector") or {}
    if selector and not a.selector_matches(selector, node_labels):
        missing = ", ".join(f"{k}={v}" for k, v in selector.items() if node_labels.get(k) != str(v))
        evidence.append(field(cr, "spec.workloads.nodePlacement.nodeSelector", selector,  # type: ignore[arg-type]
                              f"node {a.name(node)} lacks the label {missing}"))
    if placement.get("affinity") and not a.required_affinity_matches(placement["affinity"], node_labels):
        evidence.append(field(cr, "spec.workloads.nodePlacement.affinity", "required node affinity",  # type: ignore[arg-type]
                              f"node {a.name(node)} does not satisfy it"))
    if ds is not None and not evidence:
        template = (a.spec(ds).get("template") or {}).get("spec") or {}
        ds_selector = template.get("nodeSelector") or {}
        if not a.selector_matches(ds_selector, node_labels):
            evidence.append(field(ds, "spec.template.spec.nodeSelector", ds_selector,
                                  f"node {a.name(node)} does not match"))
        elif not a.required_affinity_matches(template.get("affinity"), node_labels):
            evidence.append(field(ds, "spec.template.spec.affinity", "required node affinity",
                                  f"node {a.name(node)} does not satisfy it"))
    return evidence


def taint_exclusion(snap: Snapshot, ds: Obj | None, node: Obj) -> list[Evidence]:
    """Evidence of node taints that the virt-handler pods do not tolerate."""
    tolerations: list[Obj] = []
    if ds is not None:
        tolerations += ((a.spec(ds).get("template") or {}).get("spec") or {}).get("tolerations") or []
    cr = kubevirt_cr(snap)
    if cr is not None:
        tolerations += ((a.spec(cr).get("workloads") or {}).get("nodePlacement") or {}).get("tolerations") or []
    taints = untolerated_taints(node, tolerations, daemonset=True)
    return [field(node, "spec.taints", taint_text(t), "not tolerated by the virt-handler DaemonSet")
            for t in taints]
