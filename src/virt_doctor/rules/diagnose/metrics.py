"""Metric alerts: which series hold the condition at the evaluation time, and since when."""

from __future__ import annotations

from datetime import datetime

from virt_doctor.report.model import Evidence
from virt_doctor.rules.detection import CannotEvaluate
from virt_doctor.snapshot.metrics import Series, holding_since
from virt_doctor.snapshot.snapshot import Snapshot


def holding(snap: Snapshot, alert: str) -> list[tuple[Series, datetime]]:
    """The condition's series that hold at `snap.at`, each with the start of its unbroken run."""
    found = []
    for series in (snap.metrics or {}).get(alert, {}).get("condition", []):
        since = holding_since(series, snap.at)
        if since is not None:
            found.append((series, since))
    return found


def holding_levels(snap: Snapshot, alert: str) -> list[tuple[Series, datetime, str | None]]:
    """As `holding`, for an alert defined at several severities: each series with the severity of the definition
    it holds ('condition:critical' -> 'critical'; None for the catalog's own)."""
    found = []
    for name, answered in (snap.metrics or {}).get(alert, {}).items():
        kind, _, severity = name.partition(":")
        if kind != "condition":
            continue
        for series in answered:
            since = holding_since(series, snap.at)
            if since is not None:
                found.append((series, since, severity or None))
    return found


def objects_cannot_tell(snap: Snapshot, missing: str) -> None:
    """For a rule that reads metrics or objects: missing objects say nothing, and without Prometheus nothing does."""
    if snap.metrics is None:
        raise CannotEvaluate(f"{missing}, and no Prometheus (--prometheus)")


def answer(snap: Snapshot, alert: str, name: str) -> list[Series]:
    """A diagnosis query's answer (instant, at `snap.at`)."""
    return list((snap.metrics or {}).get(alert, {}).get(name, []))


def metric_evidence(query: str, series: Series, note: str = "", value: object = None) -> Evidence:
    """A metric sample as evidence: the series' labels, its value, the query it answers."""
    labels = ",".join(f"{k}={v}" for k, v in sorted(series.labels.items()) if k != "__name__")
    shown = value if value is not None else _round(series.last)
    return Evidence(object=f"metric {query}", path=f"{{{labels}}}", value=shown, note=note)


def _round(value: float) -> float:
    return round(value, 4) if value == value else value
