"""Compare virt-doctor's verdict on each catalog alert with the alerts Prometheus itself has, and diagnose misses."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from virt_doctor.catalog.catalog import Catalog, CatalogEntry, fill
from virt_doctor.report.model import Cause, CrossCheck, Evidence, Finding, Report, Step, Subject
from virt_doctor.snapshot.discover import install_namespaces
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
    params = {**install_namespaces(snap), **({"namespace": ns} if ns else {}),
              **({"pod": labels["pod"]} if labels.get("pod") else {}),
              **({"node": labels["node"]} if labels.get("node") else {}),
              **({"vm": labels["name"]} if labels.get("name") else {})}
    ours = f"virt-doctor skipped it ({reason})" if reason else "virt-doctor's own check does not see the condition"
    unknown = entry.cause("unknown")
    steps = unknown.fixes or tuple(s.id for s in entry.mitigation)
    return Finding(
        id=hashlib.sha256(f"prometheus|{entry.name}|{sorted(labels.items())}".encode()).hexdigest()[:16],
        alert=entry.name, severity=labels.get("severity", entry.severity), state="firing", since=None,
        subject=subject, labels=labels, summary=f"Prometheus reports {entry.name} firing; {ours}",
        cause=Cause("unknown", unknown.title, "low"),
        evidence=(Evidence(object="Prometheus ALERTS", path=f"{{alertname={entry.name}}}", value="firing",
                           note=", ".join(f"{k}={v}" for k, v in sorted(labels.items()))),),
        remediation=tuple(Step(m.id, m.title, fill(m.command, params), m.risk)
                          for m in (entry.mitigation_step(s) for s in steps)),
        runbook=entry.name, diagnosis=tuple(Step(d.id, d.title, fill(d.command, params), d.risk)
                                            for d in entry.diagnosis),
        origin=ORIGIN)


def alerts_only(report: Report) -> Report:
    """Only the findings about alerts Prometheus has firing."""
    firing = {c.alert for c in report.crosscheck if c.prometheus == "firing"}
    return replace(report, findings=tuple(f for f in report.findings if f.alert in firing))

