"""One alert instance, as a page or a person names it, diagnosed: the workflow `virt-doctor diagnose` and the MCP
server's `diagnose_alert` share (live: only the kinds its rule reads, bounded by its labels)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from virt_doctor.catalog import load_catalog
from virt_doctor.errors import InputError
from virt_doctor.report.match import matches
from virt_doctor.report.model import Report
from virt_doctor.scan import LiveOptions, ScanRequest, focus_for, run_scan

Instance = tuple[str, dict[str, str]]  # an alert's name and the labels of the instance asked about


@dataclass(frozen=True)
class Diagnosis:
    """The instances asked about (their catalog names), the report narrowed to them, and the whole evaluation it
    came from (which problem an instance belongs to, what else that problem set off)."""

    instances: tuple[Instance, ...]
    report: Report
    everything: Report
    warnings: tuple[str, ...]
    live: bool

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(name for name, _ in self.instances))


def instances_from_payload(data: Any, where: str) -> list[Instance]:
    """(alertname, labels) of each alert in a payload as Alertmanager or Prometheus sends it: one alert, a list of
    them, or a webhook notification (`alerts: [...]`); a malformed one is an error naming `where` and the alert."""
    items: list[Any] = data["alerts"] if isinstance(data, dict) and isinstance(data.get("alerts"), list) else \
        data if isinstance(data, list) else [data]
    out = []
    for index, item in enumerate(items):
        labels = item.get("labels") if isinstance(item, dict) else None
        if not isinstance(labels, dict) or not labels.get("alertname"):
            raise InputError(f"{where}: alert {index} has no labels.alertname")
        out.append((str(labels["alertname"]), {str(k): str(v) for k, v in labels.items()}))
    if not out:
        raise InputError(f"{where}: no alerts in it")
    return out


def diagnose(instances: Sequence[Instance], source: str | os.PathLike[str] | None = None,
             live: LiveOptions | None = None, at: datetime | None = None) -> Diagnosis:
    """Each instance diagnosed. From a dump every alert is evaluated (it costs little), so the problem an instance
    belongs to is the one a scan shows; live (`live`: how to reach the cluster), only the kinds the alerts' rules
    read are listed and, for one instance, only its namespace or node."""
    from virt_doctor.rules.reads import kinds_read_by

    if not instances:
        raise InputError("name the alert to diagnose")
    asked = [(load_catalog().get(name).name, labels) for name, labels in instances]  # unknown: "did you mean"
    names = list(dict.fromkeys(name for name, _ in asked))
    if source is None:
        base = live or LiveOptions()
        one = len({(name, tuple(sorted(labels.items()))) for name, labels in asked}) == 1
        focus = focus_for(asked[0][0], asked[0][1]) if one else None  # several: each kind whole
        live = replace(base, kinds=kinds_read_by(names), focus=focus)
    request = ScanRequest(source=source, live=live if source is None else None,
                          at=at or (None if source is not None else datetime.now(UTC)),
                          only=names if source is None else None, asked=dict(asked))
    result = run_scan(request)
    return Diagnosis(tuple(asked), narrowed(result.report, asked), result.report, result.warnings, source is None)


def narrowed(report: Report, instances: Sequence[Instance]) -> Report:
    """The report of only the instances asked about: their findings, their alerts' coverage, their problems."""
    names = {name for name, _ in instances}
    findings = tuple(f for name, labels in instances for f in report.findings if f.alert == name and matches(f, labels))
    ids = {f.id for f in findings}
    return replace(report, findings=findings, coverage=tuple(c for c in report.coverage if c.alert in names),
                   problems=tuple(p for p in report.problems if ids & set(p.findings)))


def verdicts(diagnosis: Diagnosis) -> list[dict[str, Any]]:
    """Per instance asked about: whether its condition holds (the finding ids that say so), does not hold, or could
    not be evaluated — with why."""
    coverage = {c.alert: c for c in diagnosis.report.coverage}
    out = []
    for name, labels in diagnosis.instances:
        found = [f.id for f in diagnosis.report.findings if f.alert == name and matches(f, labels)]
        entry = coverage.get(name)
        if found:
            verdict, why = "holds", ""
        elif entry is not None and entry.status != "evaluated":
            verdict, why = "not-evaluated", entry.reason
        else:
            verdict = "not-holding"
            why = "its condition does not hold for that instance now" + (
                f" ({entry.reason})" if entry is not None and entry.reason else "")
        out.append({"alert": name, "labels": labels, "verdict": verdict, "why": why, "findings": found})
    return out
