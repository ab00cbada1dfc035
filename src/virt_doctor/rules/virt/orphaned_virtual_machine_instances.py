"""OrphanedVirtualMachineInstances: VMIs run on a node that has no ready virt-handler pod."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from virt_doctor.rules.api import CannotEvaluate, Detection, Evidence, Snapshot, Subject, a, discover, rule
from virt_doctor.rules.diagnose.evidence import field
from virt_doctor.rules.diagnose.handlers import (
    daemonset_health,
    placement_exclusion,
    ready_handler,
    taint_exclusion,
)
from virt_doctor.rules.diagnose.nodes import node_not_ready
from virt_doctor.rules.diagnose.pods import pod_problem
from virt_doctor.timeutil import parse_time

Obj = dict[str, Any]


def vmis_on_nodes(snap: Snapshot, unmanaged: Callable[[str], bool] = lambda node: True) -> dict[str, list[Obj]]:
    """Node -> the live VMIs (or launcher pods, when VMIs are missing) it hosts; only the nodes `unmanaged` keeps
    (each asked once: a node with a ready virt-handler needs its VMIs looked at no further)."""
    asked: dict[str, bool] = {}

    def kept(node: str) -> bool:
        if node not in asked:
            asked[node] = unmanaged(node)
        return asked[node]

    hosted: dict[str, dict[str, Obj]] = {}
    for node, vmis in snap.index_items("vmis_by_node"):
        if not kept(str(node)):
            continue
        for vmi in vmis:
            if a.vmi_phase(vmi) not in a.FINAL_VMI_PHASES:
                hosted.setdefault(str(node), {})[a.ref(vmi)] = vmi
    for pod in snap.index("pods_by_component", "virt-launcher"):
        node = a.pod_node(pod)
        if node and kept(node) and a.pod_phase(pod) not in ("Succeeded", "Failed"):
            vmi_name = a.annotations(pod).get("kubevirt.io/domain") or a.labels(pod).get("vm.kubevirt.io/name")
            owner = snap.get("VirtualMachineInstance", a.namespace(pod), vmi_name or "")
            if owner is None or a.vmi_node(owner) in ("", node):
                hosted.setdefault(node, {}).setdefault(a.ref(owner or pod), owner or pod)
    return {node: list(objs.values()) for node, objs in hosted.items()}


@rule("OrphanedVirtualMachineInstances", focus=("node",), needs=("Pod@kubevirt-namespace", "VirtualMachineInstance"),
      reads=("Pod", "DaemonSet@kubevirt-namespace", "DaemonSet", "KubeVirt", "Node", "Event"),
      causes=("node-not-ready", "virt-handler-daemonset-unhealthy", "workloads-placement-excludes-node",
              "node-taint-not-tolerated", "unknown"))
def orphaned_virtual_machine_instances(snap: Snapshot) -> Iterator[Detection]:
    """A node runs VMIs but no Running, Ready virt-handler pod: those VMIs cannot be managed."""
    ds = discover.virt_handler_daemonset(snap)
    namespace = discover.kubevirt_namespace(snap)
    if not namespace:
        raise CannotEvaluate("KubeVirt's install namespace is not known from the source, so its virt-handler "
                             "pods cannot be looked for")
    for node_name, hosted in sorted(vmis_on_nodes(snap, lambda node: ready_handler(snap, node) is None).items()):
        yield diagnose(snap, ds, node_name, hosted)


def diagnose(snap: Snapshot, ds: Obj | None, node_name: str, hosted: list[Obj]) -> Detection:
    """Name why the node has no ready virt-handler, in the runbook's order."""
    node = snap.get("Node", "", node_name)
    handlers = snap.index("handler_pods_by_node", node_name)
    names = sorted(a.name(o) for o in hosted)
    base = [field(o, "status.nodeName" if o.get("kind") == "VirtualMachineInstance" else "spec.nodeName",
                  node_name, "runs here without a ready virt-handler") for o in sorted(hosted, key=a.ref)[:5]]
    if len(hosted) > 5:
        base.append(Evidence(object=f"Node/{node_name}", note=f"and {len(hosted) - 5} more VMIs"))
    params = {"node": node_name, "daemonset": a.name(ds) if ds else "virt-handler"}
    if handlers:
        params["pod"] = a.name(handlers[0])
    what = f"{len(hosted)} VMI{'s' if len(hosted) != 1 else ''} on node {node_name} ({', '.join(names[:3])}" \
           f"{', ...' if len(names) > 3 else ''}) have no ready virt-handler"

    def found(cause: str, why: str, evidence: list[Evidence], since: Any = None) -> Detection:
        return Detection(subject=Subject("Node", "", node_name), cause=cause, summary=f"{what}: {why}",
                         since=since, evidence=tuple(base + evidence), params=params, labels={"node": node_name})

    if node is None:  # its conditions, labels and taints come first in the runbook: stop at what is known
        det = found("unknown", "the node is not in the source, so whether it is Ready is unknown", [])
        return replace(det, confidence="low", checked=("virt-handler pods on the node",),
                       unchecked=(f"Node {node_name}: {snap.seen.why_unseen('Node')}",))
    if node_not_ready(node):
        return found("node-not-ready", "the node is not Ready", node_not_ready(node),
                     a.transitioned(a.condition(node, "Ready")))
    if handlers:
        pod = handlers[0]
        problem = pod_problem(snap, pod)
        detail = problem.detail if problem else "it is not ready"
        evidence = list(problem.evidence) if problem else [field(pod, "status.phase", a.pod_phase(pod))]
        if ds is not None:
            evidence.append(daemonset_health(ds)[1])
        since = (problem.since if problem else None) or a.transitioned(a.condition(pod, "Ready")) or a.created(pod)
        return found("virt-handler-daemonset-unhealthy", f"virt-handler pod {a.name(pod)}: {detail}", evidence, since)
    namespace = discover.kubevirt_namespace(snap)
    if ds is None and snap.absent("DaemonSet", namespace, "virt-handler"):
        return found("virt-handler-daemonset-unhealthy", f"there is no virt-handler DaemonSet in {namespace}",
                     [Evidence(object=f"DaemonSet/{namespace}/virt-handler", note="not among the listed DaemonSets")])
    placement = placement_exclusion(snap, ds, node)
    if placement:
        return found("workloads-placement-excludes-node",
                     "the KubeVirt workloads placement does not select this node", placement)
    taints = taint_exclusion(snap, ds, node)
    if taints:
        added = [parse_time(t.get("timeAdded")) for t in a.spec(node).get("taints") or []]
        since = max((t for t in added if t), default=None)
        params["taint"] = f"{taints[0].value}-"
        return found("node-taint-not-tolerated", f"the node has a taint virt-handler does not tolerate "
                     f"({taints[0].value})", taints, since)
    if ds is None:
        det = found("unknown", "no virt-handler pod is on the node, and the DaemonSet is not in the source", [])
        return replace(det, confidence="low", checked=("node Ready condition", "virt-handler pods on the node"),
                       unchecked=(snap.seen.why_unseen("DaemonSet", namespace),))
    healthy, ds_evidence = daemonset_health(ds)
    if not healthy:
        return found("virt-handler-daemonset-unhealthy", f"the virt-handler DaemonSet is unhealthy "
                     f"({ds_evidence.value}) and has no pod here", [ds_evidence])
    checked = ["node Ready condition", "virt-handler pods on the node", "virt-handler DaemonSet status",
               "KubeVirt workloads placement", "node taints"]
    det = found("unknown", "no virt-handler pod is scheduled here and the objects do not say why", [ds_evidence])
    return replace(det, checked=tuple(checked), confidence="low")
