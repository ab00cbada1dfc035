"""Compare virt-doctor's verdict on each catalog alert with the alerts Prometheus itself has, and diagnose misses."""

from __future__ import annotations

from dataclasses import replace

from virt_doctor.catalog.catalog import Catalog, CatalogEntry
from virt_doctor.report.model import CrossCheck, Evidence, Finding, Report, Subject
from virt_doctor.rules.detection import Detection
from virt_doctor.rules.findings import build_finding
from virt_doctor.snapshot.metrics import Series
from virt_doctor.snapshot.snapshot import Snapshot

ORIGIN = "prometheus"


def prometheus_states(alerts: list[Series]) -> dict[str, dict[str, list[Series]]]:
    """alertname -> alertstate -> the ALERTS series in that state."""
    states: dict[str, dict[str, list[Series]]] = {}
    for series in alerts:
        name, state = series.labels.get("alertname", ""), series.labels.get("alertstate", "")
        if name and state:
            states.setdefault(name, {}).setdefault(state, []).append(series)
    return states


def cross_check(snap: Snapshot, report: Report, catalog: Catalog) -> Report:
    """Add the agreement table, and a finding (origin prometheus) for each firing alert virt-doctor missed."""
    if snap.prometheus_alerts is None:
        return report
    states = prometheus_states(snap.prometheus_alerts)
    coverage = {c.alert: c for c in report.coverage}
    found: dict[str, str] = {}
    for finding in report.findings:
        if found.get(finding.alert) != "firing":
            found[finding.alert] = finding.state
    table, missed = [], []
    for entry in catalog:
        if entry.name not in coverage:
            continue
        ours = found.get(entry.name) or ("skipped" if coverage[entry.name].status == "skipped" else "none")
        theirs = "firing" if "firing" in states.get(entry.name, {}) else \
            "pending" if "pending" in states.get(entry.name, {}) else "none"
        agree = None if ours == "skipped" else (ours == "none") == (theirs == "none")
        table.append(CrossCheck(entry.name, ours, theirs, agree))
        if theirs == "firing" and ours in ("none", "skipped"):
            missed += [_missed(snap, entry, series, coverage[entry.name].reason)
                       for series in states[entry.name]["firing"]]
    return replace(report, crosscheck=tuple(table), findings=report.findings + tuple(missed))


def _missed(snap: Snapshot, entry: CatalogEntry, series: Series, reason: str) -> Finding:
    """A firing Prometheus alert virt-doctor's own check did not confirm: the runbook, with what is known."""
    labels = {k: v for k, v in series.labels.items() if k not in ("__name__", "alertname", "alertstate")}
    ns = labels.get("namespace", "")
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
    ours = f"virt-doctor skipped it ({reason})" if reason else "virt-doctor's own check does not see the condition"
    det = Detection(subject, "unknown", f"Prometheus reports {entry.name} firing; {ours}", labels=labels,
                    params=params, confidence="low",
                    evidence=(Evidence(object="Prometheus ALERTS", path=f"{{alertname={entry.name}}}", value="firing",
                                       note=", ".join(f"{k}={v}" for k, v in sorted(labels.items()))),))
    return build_finding(snap, entry, det, origin=ORIGIN, severity=labels.get("severity"))


def alerts_only(report: Report) -> Report:
    """Only the findings about alerts Prometheus has firing."""
    firing = {c.alert for c in report.crosscheck if c.prometheus == "firing"}
    return replace(report, findings=tuple(f for f in report.findings if f.alert in firing))

