"""HighCPUWorkload: a node's CPUs 90% busy or more for 5 minutes — its VMs, its other pods, or the host itself."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.metrics import answer, holding, metric_evidence
from virt_doctor.rules.diagnose.node_load import (
    CONTAINER_CPU,
    UTILISATION,
    busiest_vmi,
    cpu_by_owner,
    node_of_instance,
)

ALERT = "HighCPUWorkload"


@rule(ALERT, reads=("Node", "Pod"), causes=("vms-use-the-node", "pods-use-the-node", "host-processes", "unknown"),
      queries={"condition": f"({UTILISATION}) >= 0.9", "containers": CONTAINER_CPU})
def high_cpu_workload(snap: Snapshot) -> Iterator[Detection]:
    """Whose work keeps the node's CPUs busy: VMs, other pods, or processes outside the containers."""
    usage = answer(snap, ALERT, "containers")
    for series, since in holding(snap, ALERT):
        instance = series.labels.get("instance", "")
        node = node_of_instance(snap, instance)
        name = a.name(node) if node is not None else instance
        evidence = [metric_evidence("CPU utilisation", series, "90% or more", value=f"{series.last:.0%}")]
        text = f"node {name}'s CPUs are {series.last:.0%} busy"
        split = cpu_by_owner(snap, name, usage) if node is not None else None
        cores = a.quantity((a.status(node).get("capacity") or {}).get("cpu", 0)) if node is not None else 0
        if split is None or not cores:
            yield Detection(Subject("Node", "", name), "unknown", text, since=since, evidence=tuple(evidence),
                            params={"node": name}, checked=("CPU used by the node's containers (no series, or the "
                                                            "node's pods not seen)",))
            continue
        launchers, others = split
        evidence.append(Evidence(object=f"Node/{name}", path="status.capacity.cpu", value=cores,
                                 note=f"VMs use {launchers:.1f} cores, other pods {others:.1f}"))
        params = {"node": name}
        if launchers >= others and launchers >= 0.5 * cores * series.last:
            busiest = busiest_vmi(snap, name, usage)
            if busiest:
                params.update({"namespace": busiest[0], "vm": busiest[1]})
            yield Detection(Subject("Node", "", name), "vms-use-the-node",
                            f"{text}; its VMs use {launchers:.1f} of its {cores:g} cores"
                            + (f" (the busiest: {busiest[0]}/{busiest[1]})" if busiest else ""),
                            since=since, evidence=tuple(evidence), params=params)
        elif others >= 0.5 * cores * series.last:
            yield Detection(Subject("Node", "", name), "pods-use-the-node",
                            f"{text}; pods that are not VMs use {others:.1f} of its {cores:g} cores", since=since,
                            evidence=tuple(evidence), params=params)
        else:
            yield Detection(Subject("Node", "", name), "host-processes",
                            f"{text}, but its containers use only {launchers + others:.1f} of its {cores:g} cores: "
                            "processes outside them do", since=since, evidence=tuple(evidence), params=params)
