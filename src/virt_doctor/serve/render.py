"""Incidents and runbooks as the JSON API and the pages show them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from fastapi import HTTPException

from virt_doctor.catalog.catalog import CatalogEntry
from virt_doctor.store.schema import Incident, ProblemRow
from virt_doctor.timeutil import human_age, rfc3339

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"


def incident_to_dict(incident: Incident, timeline: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": incident.id, "key": incident.key, "origin": incident.origin, "alertname": incident.alertname,
        "state": incident.state, "severity": incident.severity, "health_impact": incident.health_impact,
        "namespace": incident.namespace, "component": incident.component, "subject": incident.subject,
        "labels": incident.labels, "has_runbook": incident.has_runbook, "verdict": incident.verdict,
        "note": incident.note,
        "cause": {"id": incident.cause_id, "title": incident.cause_title, "confidence": incident.confidence},
        "starts_at": rfc3339(aware(incident.starts_at)), "ends_at": rfc3339(aware(incident.ends_at)),
        "updated_at": rfc3339(aware(incident.updated_at)), "notifications": incident.notifications,
        "finding_id": incident.finding_id or None, "problem": incident.problem_key or None,
        **({"alias": incident.alias} if incident.alias else {}),
    }
    if timeline:
        out["diagnoses"] = [{"at": rfc3339(aware(d.at)), "verdict": d.verdict, "cause_id": d.cause_id,
                             "note": d.note, "finding": d.finding} for d in incident.diagnoses]
    return out


def problem_row_to_dict(row: ProblemRow, incidents: list[Incident] | None = None) -> dict[str, Any]:
    """A stored problem: the report contract's fields, its life, and (one problem) its incidents."""
    out: dict[str, Any] = {
        "id": row.key, "title": row.title, "severity": row.severity, "state": row.state, "root": row.root,
        "cause": row.cause, "findings": list(row.findings or []), "alerts": dict(row.alerts or {}),
        "announced": list(row.notified or []), "opened_at": rfc3339(aware(row.opened_at)),
        "updated_at": rfc3339(aware(row.updated_at)), "ends_at": rfc3339(aware(row.ends_at)),
    }
    if incidents is not None:
        out["incidents"] = [incident_to_dict(i, timeline=False) for i in incidents]
    return out


def catalog_entry_to_dict(entry: CatalogEntry, brief: bool) -> dict[str, Any]:
    data = entry.to_dict()
    if brief:
        return {k: data[k] for k in ("name", "severity", "component", "health_impact", "source", "summary")}
    return data


def aware(moment: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back (stored as UTC)."""
    return None if moment is None else moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def lasting(moment: datetime | None, at: str | None) -> str:
    """'for 30m' up to the evaluation time (the cluster's clock as read, a dump's collection time), for the pages."""
    from virt_doctor.timeutil import parse_time

    moment, until = aware(moment), parse_time(at) if at else None
    if moment is None or until is None or moment > until:
        return ""
    return f"for {human_age(until - moment)}"


T = TypeVar("T")


def or_404(found: T | None, what: str) -> T:
    """The object a path names, or the 404 that says which one is not there (pages and API alike)."""
    if found is None:
        raise HTTPException(404, f"no {what}")
    return found
