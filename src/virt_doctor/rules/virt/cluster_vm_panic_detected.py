"""ClusterVMPanicDetected: guests crashed in one or more VMs in the last 24 hours — on one node, or each its own."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.guest_panic import PANICS_24H
from virt_doctor.rules.diagnose.metrics import answer, holding, metric_evidence

ALERT = "ClusterVMPanicDetected"


@rule(ALERT, reads=("VirtualMachineInstance",), causes=("shared-node", "isolated-guests", "unknown"),
      queries={"condition": f"count({PANICS_24H} > 0) > 0", "crashed": f"{PANICS_24H} > 0"})
def cluster_vm_panic_detected(snap: Snapshot) -> Iterator[Detection]:
    """Crashed guests across the cluster: do they share a node?"""
    for series, since in holding(snap, ALERT):
        crashed = answer(snap, ALERT, "crashed")
        by_node: dict[str, list[str]] = defaultdict(list)
        evidence = [metric_evidence("VMs whose guest crashed in the last 24 hours", series, value=round(series.last))]
        for item in crashed:
            ns, name = item.labels.get("namespace", ""), item.labels.get("name", "")
            vmi = snap.get("VirtualMachineInstance", ns, name)
            if vmi is not None and a.vmi_node(vmi):
                by_node[a.vmi_node(vmi)].append(f"{ns}/{name}")
            evidence.append(metric_evidence("guest OS panics", item, value=round(item.last)))
        text = f"{series.last:.0f} VM{'s' if round(series.last) != 1 else ''} crashed in the last 24 hours"
        shared = max(by_node.items(), key=lambda kv: (len(kv[1]), kv[0]), default=None)
        if shared is not None and len(shared[1]) >= 2:
            node, vms = shared
            evidence.append(Evidence(object=f"Node/{node}", note=f"runs {len(vms)} of the crashed VMs: "
                                     + ", ".join(sorted(vms)[:5])))
            yield Detection(Subject("Cluster", "", "guest-panics"), "shared-node",
                            f"{text}; {len(vms)} of them run on node {node}", since=since,
                            evidence=tuple(evidence), params={"node": node})
        elif by_node:
            yield Detection(Subject("Cluster", "", "guest-panics"), "isolated-guests",
                            f"{text}, on {len(by_node)} different node{'s' if len(by_node) != 1 else ''}",
                            since=since, evidence=tuple(evidence))
        else:
            yield Detection(Subject("Cluster", "", "guest-panics"), "unknown", text, since=since,
                            evidence=tuple(evidence), checked=("where the crashed VMIs run (none found)",))
