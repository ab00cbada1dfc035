"""Choosing what a fault breaks: a running VM, a worker with VMs, chosen by the seed and not used twice."""

from __future__ import annotations

from typing import Any

from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.vms import VMSet

Obj = dict[str, Any]


def used_subjects(cluster: Cluster) -> set[tuple[str, str]]:
    return {(i.namespace, i.name) for i in cluster.injected}


def pick_vm(cluster: Cluster, node: str | None = None) -> VMSet:
    """A running, not yet faulted VM (on `node` if given), chosen by the seed."""
    used = used_subjects(cluster)
    faulty_nodes = {i.name for i in cluster.injected if i.kind == "Node"} | {
        n for n, pod in cluster.handler_pods.items() if pod["status"]["phase"] != "Running"
        or any(c["type"] == "Ready" and c["status"] != "True" for c in pod["status"]["conditions"])}
    candidates = [v for v in cluster.vms if v.vmi is not None and v.key not in used
                  and (v.node == node if node is not None else v.node not in faulty_nodes)]
    if not candidates:
        raise ValueError("no running VM left to inject this fault into; simulate more VMs")
    return cluster.rng.choice(candidates)


def pick_worker(cluster: Cluster, with_vms: bool = True) -> Obj:
    """A worker (hosting VMs, not yet faulted, not running the control plane if possible)."""
    used = {i.name for i in cluster.injected if i.kind == "Node"} | {
        v.node for v in cluster.vms if v.key in used_subjects(cluster)}
    control = {p["spec"]["nodeName"] for pods in cluster.component_pods.values() for p in pods}
    names = [w["metadata"]["name"] for w in cluster.workers if w["metadata"]["name"] not in used]
    preferred = [n for n in names if n not in control and (not with_vms or cluster.vms_on(n))]
    candidates = preferred or [n for n in names if not with_vms or cluster.vms_on(n)]
    if not candidates:
        raise ValueError("no worker left to inject this fault into; simulate more nodes")
    return cluster.node(cluster.rng.choice(candidates))
