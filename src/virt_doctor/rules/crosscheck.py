"""Compare virt-doctor's verdict on each catalog alert with the alerts Prometheus itself has, and diagnose misses.

Prometheus' verdicts come from a live Prometheus (its ALERTS series at the evaluation time, `--prometheus`) or,
in a must-gather, from the cluster's own Prometheus at collection (`monitoring/prometheus/rules.json`). An alert
virt-doctor cannot evaluate from objects (a metric alert) is answered by the latter: each instance it had
pending or firing is a finding with Prometheus' state, `since` and labels, diagnosed as far as the objects the
labels name allow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from virt_doctor.catalog.catalog import Catalog, CatalogEntry
from virt_doctor.report.model import CrossCheck, Evidence, Finding, Report, Subject
from virt_doctor.rules.detection import Detection
from virt_doctor.rules.diagnose.node_load import node_of_instance
from virt_doctor.rules.findings import build_finding
from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.alert_rules import AlertInstance
from virt_doctor.snapshot.metrics import Series
from virt_doctor.snapshot.snapshot import Snapshot
from virt_doctor.timeutil import rfc3339

ORIGIN = "prometheus"  # a live Prometheus' ALERTS
AT_COLLECTION = "prometheus-at-collection"  # the cluster's Prometheus as the must-gather saved it
SAID_BY = {ORIGIN: "Prometheus reports", AT_COLLECTION: "The cluster's Prometheus had"}
HIDDEN_LABELS = ("__name__", "alertname", "alertstate")
# labels every rule of an operator carries: in the finding's labels, left out of the one-line note
RULE_LABEL_PREFIXES = ("kubernetes_operator_", "operator_health_impact", "severity")


def prometheus_states(alerts: list[Series]) -> dict[str, dict[str, list[Series]]]:
    """alertname -> alertstate -> the ALERTS series in that state."""
    states: dict[str, dict[str, list[Series]]] = {}
    for series in alerts:
        name, state = series.labels.get("alertname", ""), series.labels.get("alertstate", "")
        if name and state:
            states.setdefault(name, {}).setdefault(state, []).append(series)
    return states


def their_alerts(snap: Snapshot) -> tuple[str, list[AlertInstance]] | None:
    """(origin, the alert instances Prometheus has pending or firing): a live Prometheus' first, else the one a
    dump saved at collection; None when there is neither."""
    if snap.prometheus_alerts is not None:
        return ORIGIN, [AlertInstance(s.labels.get("alertname", ""), s.labels.get("alertstate", ""), s.labels)
                        for s in snap.prometheus_alerts if s.labels.get("alertname")]
    if snap.collected is not None:
        return AT_COLLECTION, list(snap.collected.alerts)
    return None


@dataclass(frozen=True)
class Answered:
    """A metric alert answered by the cluster's Prometheus at collection: the coverage note and its findings."""

    note: str
    findings: tuple[Finding, ...]


def answered_at_collection(snap: Snapshot, entry: CatalogEntry) -> Answered | None:
    """A metric alert as the cluster's Prometheus evaluated it when the must-gather was taken; None when the dump
    does not say (no rules.json, or its Prometheus had no rule of that name)."""
    collected = snap.collected
    if collected is None:
        return None
    instances = collected.instances(entry.name)
    if not instances and (not collected.has_rules or entry.name not in collected.rules):
        return None
    states = sorted({i.state for i in instances})
    verdict = f"{' and '.join(states)} ({len(instances)})" if instances else "inactive"
    note = f"by the cluster's Prometheus at collection ({collected.where}): {verdict}"
    why = "virt-doctor cannot evaluate it from objects alone (it needs Prometheus' metrics)"
    return Answered(note, tuple(prometheus_finding(snap, entry, instance, AT_COLLECTION, why)
                                for instance in instances))


def cross_check(snap: Snapshot, report: Report, catalog: Catalog) -> Report:
    """Add the agreement table, and a finding for each alert Prometheus has that virt-doctor missed (firing, from a
    live Prometheus; pending or firing, from the one a dump saved)."""
    theirs_found = their_alerts(snap)
    if theirs_found is None:
        return report
    origin, instances = theirs_found
    states: dict[str, dict[str, list[AlertInstance]]] = {}
    for instance in instances:
        states.setdefault(instance.alert, {}).setdefault(instance.state, []).append(instance)
    coverage = {c.alert: c for c in report.coverage}
    found: dict[str, str] = {}
    answered = set()
    for finding in report.findings:
        if finding.origin != "virt-doctor":
            answered.add(finding.alert)  # already a finding of Prometheus' own (a metric alert at collection)
            continue
        if found.get(finding.alert) != "firing":
            found[finding.alert] = finding.state
    wanted = ("firing",) if origin == ORIGIN else ("firing", "pending")
    unruled = _without_rule(snap, catalog) if origin == AT_COLLECTION else frozenset()
    table, missed = [], []
    for entry in catalog:
        if entry.name not in coverage or entry.name in unruled:
            continue  # (a Prometheus whose rules were read and lack the alert has no verdict on it)
        skipped = coverage[entry.name].status == "skipped" or entry.name in answered
        ours = found.get(entry.name) or ("skipped" if skipped else "none")
        theirs = "firing" if "firing" in states.get(entry.name, {}) else \
            "pending" if "pending" in states.get(entry.name, {}) else "none"
        agree = None if ours == "skipped" else (ours == "none") == (theirs == "none")
        table.append(CrossCheck(entry.name, ours, theirs, agree))
        if ours in ("none", "skipped") and entry.name not in answered:
            own = "virt-doctor's own check does not see the condition" if ours == "none" else \
                f"virt-doctor skipped it ({coverage[entry.name].reason})"
            missed += [prometheus_finding(snap, entry, instance, origin, own)
                       for state in wanted for instance in states.get(entry.name, {}).get(state, [])]
    return replace(report, crosscheck=tuple(table), findings=report.findings + tuple(missed))


def _without_rule(snap: Snapshot, catalog: Catalog) -> frozenset[str]:
    """The alerts the cluster's Prometheus at collection had no rule for (when the dump holds its rules)."""
    collected = snap.collected
    if collected is None or not collected.has_rules:
        return frozenset()
    firing = {i.alert for i in collected.alerts}
    return frozenset(e.name for e in catalog if e.name not in collected.rules and e.name not in firing)


def asked_at_collection(snap: Snapshot) -> dict[str, dict[str, str]]:
    """The alert instances the cluster's Prometheus had at collection that name a pod: where their diagnosis starts,
    as for `diagnose --alert-json` (a self-diagnosing alert's pod, node and reason)."""
    asked: dict[str, dict[str, str]] = {}
    for instance in snap.collected.alerts if snap.collected is not None else ():
        if instance.labels.get("pod"):
            asked.setdefault(instance.alert, dict(instance.labels))
    return asked


def prometheus_finding(snap: Snapshot, entry: CatalogEntry, instance: AlertInstance, origin: str,
                       ours: str) -> Finding:
    """An alert instance Prometheus has and virt-doctor did not confirm: the runbook, the subject its labels
    name, and what the objects say of that subject."""
    labels = {k: v for k, v in instance.labels.items() if k not in HIDDEN_LABELS}
    subject, params = subject_of(snap, entry, labels)
    shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if not k.startswith(RULE_LABEL_PREFIXES))
    where = snap.collected.where if origin == AT_COLLECTION and snap.collected is not None else "Prometheus ALERTS"
    since = f" since {rfc3339(instance.active_at)}" if instance.active_at else ""
    evidence = (Evidence(object=f"Prometheus alert ({where})", path=f"{{alertname={entry.name}}}",
                         value=instance.state, note=shown + (f"; active{since}" if since else "")
                         + (f"; value {instance.value:g}" if instance.value is not None else "")),
                *objects_named(snap, subject))
    det = Detection(subject, "unknown", f"{SAID_BY[origin]} {entry.name} {instance.state}{since}; {ours}",
                    since=instance.active_at, labels=labels, params=params, confidence="low", evidence=evidence)
    return build_finding(snap, entry, det, origin=origin, severity=labels.get("severity") or None,
                         state=instance.state)


def subject_of(snap: Snapshot, entry: CatalogEntry, labels: dict[str, str]) -> tuple[Subject, dict[str, str]]:
    """The object an alert's labels name (pod, node — or the node a node-exporter `instance` is —, VM, else the
    alert in its namespace), and the runbook's placeholders they fill."""
    ns = labels.get("namespace", "")
    if labels.get("instance") and not labels.get("node") and not labels.get("pod"):
        node = node_of_instance(snap, labels["instance"])
        if node is not None:
            labels = {**labels, "node": a.name(node)}
    if labels.get("pod"):
        subject = Subject("Pod", ns, labels["pod"])
    elif labels.get("node"):
        subject = Subject("Node", "", labels["node"])
    elif labels.get("name"):
        subject = Subject("VirtualMachine", ns, labels["name"])
    else:
        subject = Subject("Alert", ns, entry.name)
    params = {**({"namespace": ns} if ns else {}), **({"pod": labels["pod"]} if labels.get("pod") else {}),
              **({"node": labels["node"]} if labels.get("node") else {}),
              **({"vm": labels["name"]} if labels.get("name") else {})}
    return subject, params


def objects_named(snap: Snapshot, subject: Subject) -> Iterable[Evidence]:
    """What the source holds of the object an alert names: its status in a line, or that it is not there."""
    if subject.kind == "Alert":
        return ()
    obj = snap.lookup(subject.kind, subject.namespace, subject.name)
    if not isinstance(obj, dict):
        return (Evidence(object=subject.ref(), note=obj.reason),)
    if subject.kind == "Node":
        ready = a.condition(obj, "Ready")
        return (Evidence(object=a.ref(obj), path="status.conditions[Ready].status",
                         value=ready.get("status") if ready else None),)
    if subject.kind == "Pod":
        return (Evidence(object=a.ref(obj), path="status.phase", value=a.status(obj).get("phase")),)
    return (Evidence(object=a.ref(obj), path="status.printableStatus", value=a.status(obj).get("printableStatus")),)


def alerts_only(report: Report) -> Report:
    """Only the findings about alerts Prometheus has firing."""
    firing = {c.alert for c in report.crosscheck if c.prometheus == "firing"}
    return replace(report, findings=tuple(f for f in report.findings if f.alert in firing))
