"""KubeVirtVMIExcessiveMigrations: a VMI completed 12 or more live migrations within 24 hours."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.definitions import threshold_of
from virt_doctor.rules.diagnose.evidence import event_message, events_with_reason, field
from virt_doctor.rules.diagnose.nodes import node_pressure
from virt_doctor.timeutil import parse_time

THRESHOLD = (">=", 12)  # upstream: sum by (vmi, namespace) (... kubevirt_vmi_migration_succeeded[1d] ...) >= 12
WINDOW = timedelta(hours=24)


def migration_finished(vmim: dict[str, Any]) -> datetime | None:
    """When a VirtualMachineInstanceMigration succeeded (its state's end, or the Succeeded transition)."""
    state = a.status(vmim).get("migrationState") or {}
    end = parse_time(state.get("endTimestamp"))
    if end:
        return end
    for entry in a.status(vmim).get("phaseTransitionTimestamps") or []:
        if entry.get("phase") == "Succeeded":
            return parse_time(entry.get("phaseTransitionTimestamp"))
    return a.created(vmim)


@rule("KubeVirtVMIExcessiveMigrations", focus=("namespace",), needs=("VirtualMachineInstanceMigration",), reads=("Node", "Event"),
      causes=("node-pressure", "repeated-drains", "unknown"), threshold=THRESHOLD)
def kube_virt_vmi_excessive_migrations(snap: Snapshot) -> Iterator[Detection]:
    """12 or more Succeeded migrations of one VMI in the last 24 hours (or as many as the cluster's rule says)."""
    least = threshold_of(snap, "KubeVirtVMIExcessiveMigrations", *THRESHOLD)
    for key, migrations in sorted(snap.index_items("migrations_by_vmi"), key=lambda item: str(item[0])):
        ns, vmi_name = str(key[0]), str(key[1])  # type: ignore[index]
        recent = [m for m in migrations if a.status(m).get("phase") == "Succeeded"
                  and (finished := migration_finished(m)) is not None and snap.at - WINDOW <= finished <= snap.at]
        if len(recent) < least:
            continue
        sources = Counter(str((a.status(m).get("migrationState") or {}).get("sourceNode") or "") for m in recent)
        sources.pop("", None)
        yield diagnose(snap, ns, vmi_name, recent, sources)


def diagnose(snap: Snapshot, ns: str, vmi_name: str, recent: list[dict[str, Any]], sources: Counter[str]) -> Detection:
    """Look at the nodes the VMI kept leaving: pressure, or drains."""
    summary = f"VMI {ns}/{vmi_name} live-migrated {len(recent)} times in 24 hours"
    base = [Evidence(object=f"VirtualMachineInstance/{ns}/{vmi_name}", path="migrations (24h)", value=len(recent),
                     note=f"from {', '.join(f'{n} ({c}x)' for n, c in sources.most_common(4)) or 'unknown nodes'}")]
    params = {"namespace": ns, "vm": vmi_name}
    subject = Subject("VirtualMachineInstance", ns, vmi_name)
    for node_name, _count in sources.most_common():
        node = snap.get("Node", "", node_name)
        if node is None:
            continue
        params["node"] = node_name
        pressure = node_pressure(node)
        if pressure:
            return Detection(subject, "node-pressure", f"{summary}: source node {node_name} is under pressure",
                             evidence=tuple(base + pressure), params=params)
        drained = events_with_reason(snap, node, ("NodeNotSchedulable", "Drain", "NodeSchedulable"))
        if a.node_is_cordoned(node) or drained:
            evidence = base + ([field(node, "spec.unschedulable", True, "cordoned")] if a.node_is_cordoned(node) else [])
            evidence += [Evidence(object=a.ref(node), path=f"event {e.get('reason')}", value=event_message(e),
                                  note=f"x{e.get('count', 1)}") for e in drained[-2:]]
            return Detection(subject, "repeated-drains", f"{summary}: source node {node_name} keeps being drained",
                             evidence=tuple(evidence), params=params)
    return Detection(subject, "unknown", summary, evidence=tuple(base), params=params,
                     checked=("source nodes' pressure conditions", "cordons and drain events"))
