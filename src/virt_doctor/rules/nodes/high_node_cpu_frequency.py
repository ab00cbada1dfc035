"""HighNodeCPUFrequency: a node's CPUs run above 80% of their maximum frequency — under load, or held there."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.metrics import answer, holding, metric_evidence
from virt_doctor.rules.diagnose.node_load import BUSY, UTILISATION, node_of_instance
from virt_doctor.snapshot.metrics import Series

ALERT = "HighNodeCPUFrequency"
CONDITION = ("node_cpu_frequency_hertz > 0 and on(instance, cpu) node_cpu_frequency_hertz - on(instance, cpu) "
             "group_left() node_cpu_frequency_max_hertz * 0.8 > 0")


@rule(ALERT, reads=("Node",), causes=("sustained-load", "power-profile", "unknown"),
      queries={"condition": CONDITION, "utilisation": UTILISATION})
def high_node_cpu_frequency(snap: Snapshot) -> Iterator[Detection]:
    """One finding per node whose CPUs run fast: with the load to explain it, or without."""
    load = {s.labels.get("instance", ""): s for s in answer(snap, ALERT, "utilisation")}
    cpus: dict[str, list[tuple[Series, datetime]]] = defaultdict(list)
    for series, since in holding(snap, ALERT):
        cpus[series.labels.get("instance", "")].append((series, since))
    for instance, held in sorted(cpus.items()):
        node = node_of_instance(snap, instance)
        name = a.name(node) if node is not None else instance.rsplit(":", 1)[0]
        since = min(s for _, s in held)
        first = held[0][0]
        evidence = [metric_evidence("CPU frequency over 80% of its maximum", first,
                                    f"{len(held)} CPU{'s' if len(held) != 1 else ''} of the node",
                                    value=f"{first.last / 1e9:.2f} GHz")]
        text = f"{len(held)} CPU{'s' if len(held) != 1 else ''} of node {name} run above 80% of their maximum frequency"
        busy = load.get(instance)
        params = {"node": name}
        if busy is None:
            yield Detection(Subject("Node", "", name), "unknown", text, since=since, evidence=tuple(evidence),
                            params=params, labels={"instance": instance}, checked=("CPU utilisation (no series)",))
            continue
        evidence.append(metric_evidence("CPU utilisation", busy, value=f"{busy.last:.0%}"))
        cause = "sustained-load" if busy.last >= BUSY else "power-profile"
        yield Detection(Subject("Node", "", name), cause,
                        f"{text}; the node is {busy.last:.0%} busy" + ("" if cause == "sustained-load"
                                                                     else ", so its power settings hold them there"),
                        since=since, evidence=tuple(evidence), params=params, labels={"instance": instance})
