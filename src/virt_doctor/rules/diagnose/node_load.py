"""A node's CPU as node-exporter and cAdvisor see it: how busy, and whose work — VMs, other pods, or the host."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.metrics import Series
from virt_doctor.snapshot.snapshot import Snapshot

# node-exporter's recording rule (the cluster monitoring stack records it; the alert reads it as upstream does):
# 1 - the share of time the node's CPUs were idle, in iowait or stolen, over a minute
UTILISATION = "instance:node_cpu_utilisation:rate1m"
CONTAINER_CPU = 'sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!="", container!="POD"}[5m]))'
BUSY = 0.5  # a node this busy (or more) runs its CPUs fast because of load


def node_of_instance(snap: Snapshot, instance: str) -> dict[str, Any] | None:
    """The Node a node-exporter target is: by name (OpenShift labels it so), else by address (host:port)."""
    host = instance.rsplit(":", 1)[0] if instance.count(":") == 1 else instance
    node = snap.get("Node", "", host)
    if node is not None:
        return node
    return snap.derived(("node-by-address", host), lambda: next(
        (n for n in snap.kind("Node") if any(addr.get("address") == host
                                             for addr in a.status(n).get("addresses") or [])), None))


def cpu_by_owner(snap: Snapshot, node: str, usage: list[Series]) -> tuple[float, float] | None:
    """Cores the node's VMs (virt-launcher pods) and its other pods use; None when no container series answered
    for any pod on it."""
    on_node = {(a.namespace(p), a.name(p)): p for p in snap.index("pods_by_node", node)}
    launchers = others = 0.0
    seen = False
    for series in usage:
        pod = on_node.get((series.labels.get("namespace", ""), series.labels.get("pod", "")))
        if pod is None:
            continue
        seen = True
        if a.labels(pod).get("kubevirt.io") == "virt-launcher":
            launchers += series.last
        else:
            others += series.last
    return (launchers, others) if seen else None


def busiest_vmi(snap: Snapshot, node: str, usage: list[Series]) -> tuple[str, str] | None:
    """The VMI whose launcher uses the most CPU on the node (namespace, name)."""
    by_pod: dict[tuple[str, str], float] = defaultdict(float)
    for series in usage:
        by_pod[(series.labels.get("namespace", ""), series.labels.get("pod", ""))] += series.last
    best = None
    for pod in snap.index("pods_by_node", node):
        if a.labels(pod).get("kubevirt.io") != "virt-launcher":
            continue
        cores = by_pod.get((a.namespace(pod), a.name(pod)), 0.0)
        vmi = a.labels(pod).get("vm.kubevirt.io/name") or a.annotations(pod).get("kubevirt.io/domain")
        if vmi and (best is None or cores > best[0]):
            best = (cores, a.namespace(pod), vmi)
    return (best[1], best[2]) if best else None
