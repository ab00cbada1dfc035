"""What happens to incidents: a notification opens, updates or closes them; an evaluation does the same for
virt-doctor's own; old ones are purged. Each function works in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session, selectinload

from virt_doctor.store.schema import Diagnosis, Incident, Notification

FIRING, RESOLVED = "firing", "resolved"
OWN = "vd:"  # key prefix of the incidents virt-doctor opens from its own evaluations


@dataclass(frozen=True)
class Verdict:
    """A diagnosis as the store keeps it: what was concluded, and the finding (report contract) behind it."""

    verdict: str  # holds | not-holding | not-evaluated | no-runbook
    note: str = ""
    finding: dict[str, Any] | None = None
    severity: str = ""
    health_impact: str = ""
    component: str = ""
    has_runbook: bool = True

    @property
    def cause(self) -> dict[str, Any]:
        return (self.finding or {}).get("cause") or {}


@dataclass(frozen=True)
class AlertSeen:
    """One alert of a notification, as the store needs it."""

    key: str
    alertname: str
    status: str
    labels: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    verdict: Verdict = field(default_factory=lambda: Verdict("not-evaluated"))


STALE_AFTER = timedelta(hours=12)  # three of Alertmanager's default repeat_interval (4h)


def record_notification(session: Session, at: datetime, receiver: str, group_key: str, status: str,
                        payload: dict[str, Any], alerts: Sequence[AlertSeen],
                        stale_after: timedelta = STALE_AFTER) -> list[Incident]:
    """Keep the notification as received, and bring each of its alerts' incidents up to date. A firing one is
    good until its own endsAt, when the sender gave one, else for `stale_after` from now."""
    session.add(Notification(received_at=at, receiver=receiver, group_key=group_key, status=status,
                             alerts=len(alerts), payload=payload))
    existing = _by_key(session, [a.key for a in alerts], lock=True)
    touched = []
    for alert in alerts:
        incident = existing.get(alert.key)
        if incident is None:  # an alert virt-doctor already tracks (its own incident, same finding) joins it
            incident = _tracked(session, alert)
        if incident is None:
            incident = _open(session, alert.key, "alertmanager", alert.alertname, alert.labels, alert.starts_at, at)
        existing[alert.key] = incident
        incident.notifications += 1
        if incident.origin == "alertmanager":
            incident.labels = alert.labels
        if alert.status == RESOLVED:  # (virt-doctor's own incident reopens if its next evaluation still sees it)
            _close(incident, alert.ends_at or at, at)
        else:
            if incident.state == RESOLVED:  # fired again after it was resolved: the same instance, reopened
                incident.ends_at = None
            incident.state = FIRING
            incident.starts_at = min(_aware(incident.starts_at), alert.starts_at)
            incident.expires_at = alert.ends_at if alert.ends_at is not None and alert.ends_at > at \
                else at + stale_after
            _diagnosed(incident, alert.verdict, at)
        touched.append(incident)
    return touched


def _tracked(session: Session, alert: AlertSeen) -> Incident | None:
    """virt-doctor's own incident for the instance an Alertmanager alert names: by the alias a first notification
    left, else (firing) by the finding its diagnosis found; the fingerprint is remembered as its alias."""
    found = session.scalar(select(Incident).where(Incident.alias == alert.key).with_for_update())
    finding_id = str((alert.verdict.finding or {}).get("id") or "")
    if found is None and finding_id and alert.status != RESOLVED:
        found = session.scalar(select(Incident).where(Incident.origin == "virt-doctor", Incident.state == FIRING,
                                                      Incident.finding_id == finding_id).with_for_update())
    if found is not None:
        found.alias = alert.key
    return found


def sync_findings(session: Session, at: datetime, findings: Iterable[dict[str, Any]], evaluated: set[str],
                  describe: Any, observed: datetime | None = None) -> tuple[int, int, int]:
    """virt-doctor's own incidents after an evaluation: opened for new findings, updated, and resolved for
    the firing ones whose alert was evaluated and found nothing (a skipped alert resolves nothing).
    `describe(finding)` gives its Verdict; a finding with no `since` started at `observed` (the evaluation
    time of the cluster state, a dump's collection time), else `at`. Returns (opened, updated, resolved)."""
    current = {OWN + f["id"]: f for f in findings}
    firing = {i.key: i for i in session.scalars(select(Incident).where(Incident.origin == "virt-doctor",
                                                                      Incident.state == FIRING))}
    known = _by_key(session, [k for k in current if k not in firing])
    wanted = [f["id"] for k, f in current.items() if k not in firing and k not in known]
    # an instance Alertmanager reported first: its incident is the one virt-doctor keeps up to date
    reported = {i.finding_id: i for i in session.scalars(select(Incident).where(
        Incident.origin == "alertmanager", Incident.state == FIRING, Incident.finding_id.in_(wanted)))} \
        if wanted else {}
    opened = updated = resolved = 0
    for key, finding in current.items():
        incident = firing.get(key) or known.get(key) or reported.get(finding["id"])
        if incident is None:
            started = _parse(finding.get("since")) or observed or at
            incident = _open(session, key, "virt-doctor", finding["alert"], finding.get("labels") or {}, started, at)
            opened += 1
        else:
            updated += incident.state == FIRING
            opened += incident.state != FIRING
            incident.ends_at = None
        incident.state = FIRING
        _diagnosed(incident, describe(finding), at)
    for key, incident in firing.items():
        if key not in current and incident.alertname in evaluated:
            _close(incident, at, at)
            resolved += 1
    return opened, updated, resolved


def expire(session: Session, now: datetime) -> int:
    """Close the incidents only Alertmanager reported that it stopped repeating (no resolved notification came:
    Alertmanager restarted, or its route changed); virt-doctor's own are closed by its evaluations."""
    stale = list(session.scalars(select(Incident).where(Incident.origin == "alertmanager", Incident.state == FIRING,
                                                        Incident.expires_at.is_not(None),
                                                        Incident.expires_at < now)))
    for incident in stale:
        ended = _aware(incident.expires_at) if incident.expires_at is not None else now
        _close(incident, ended, now, "expired: Alertmanager stopped repeating it and never sent it resolved")
    return len(stale)


def purge(session: Session, before: datetime) -> tuple[int, int]:
    """Forget incidents resolved before `before` (with their diagnoses) and notifications received before it."""
    gone = session.execute(delete(Incident).where(Incident.state == RESOLVED, Incident.ends_at < before)
                           .execution_options(synchronize_session=False))
    old = session.execute(delete(Notification).where(Notification.received_at < before)
                          .execution_options(synchronize_session=False))
    session.execute(delete(Diagnosis).where(~Diagnosis.incident_id.in_(select(Incident.id)))
                    .execution_options(synchronize_session=False))
    return int(getattr(gone, "rowcount", 0) or 0), int(getattr(old, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Filters:
    """What the overview shows: each empty field means any."""

    state: str = ""
    severity: str = ""
    namespace: str = ""
    component: str = ""
    alertname: str = ""
    limit: int = 500


def incidents(session: Session, filters: Filters = Filters()) -> list[Incident]:
    """Incidents: firing before resolved, then by severity, newest first."""
    query = select(Incident)
    for column, value in ((Incident.state, filters.state), (Incident.severity, filters.severity),
                          (Incident.namespace, filters.namespace), (Incident.component, filters.component),
                          (Incident.alertname, filters.alertname)):
        if value:
            query = query.where(column == value)
    rank = case({"critical": 0, "warning": 1, "info": 2}, value=Incident.severity, else_=3)
    order = (Incident.state.desc(), rank, Incident.starts_at.desc(), Incident.id.desc())  # firing, worst, newest
    return list(session.scalars(query.order_by(*order).limit(filters.limit)))


def incident(session: Session, number: int) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.id == number).options(selectinload(Incident.diagnoses)))


def latest_finding(incident: Incident) -> dict[str, Any] | None:
    """The finding of the incident's newest diagnosis that had one (diagnoses are kept in the order made)."""
    return next((d.finding for d in reversed(incident.diagnoses) if d.finding), None)


def counts(session: Session) -> dict[str, dict[str, int]]:
    """Firing incidents by severity and by operator-health impact."""
    out: dict[str, dict[str, int]] = {"severity": {}, "health_impact": {}}
    for column, name in ((Incident.severity, "severity"), (Incident.health_impact, "health_impact")):
        rows = session.execute(select(column, func.count()).where(Incident.state == FIRING).group_by(column))
        out[name] = {str(value or "none"): int(n) for value, n in rows}
    return out


def _by_key(session: Session, keys: list[str], lock: bool = False) -> dict[str, Incident]:
    """The incidents with these keys; locked for this transaction when asked (two replicas updating the same
    incident at once must not lose a count)."""
    if not keys:
        return {}
    query = select(Incident).where(Incident.key.in_(keys)).order_by(Incident.key)
    return {i.key: i for i in session.scalars(query.with_for_update() if lock else query)}


def _open(session: Session, key: str, origin: str, alertname: str, labels: dict[str, str], started: datetime,
          at: datetime) -> Incident:
    incident = Incident(key=key, origin=origin, alertname=alertname, state=FIRING, labels=labels,
                        namespace=labels.get("namespace", ""), starts_at=started, updated_at=at, notifications=0,
                        severity=labels.get("severity", ""), health_impact=labels.get("operator_health_impact", ""),
                        component="", subject="", has_runbook=True, verdict="", note="", cause_id="", cause_title="",
                        confidence="", finding_id="", alias="", problem_key="", expires_at=None)
    session.add(incident)
    return incident


def _close(incident: Incident, ended: datetime, at: datetime, note: str = "resolved") -> None:
    if incident.state != RESOLVED:
        incident.state = RESOLVED
        incident.verdict = "resolved"
        incident.ends_at = ended
        incident.updated_at = at
        incident.note = note if note != "resolved" else incident.note
        incident.diagnoses.append(Diagnosis(at=at, verdict="resolved", cause_id=incident.cause_id,
                                            note=note, finding=None))


def _diagnosed(incident: Incident, verdict: Verdict, at: datetime) -> None:
    """Record the verdict; a new timeline entry only when the conclusion changed."""
    cause = verdict.cause
    finding = verdict.finding or {}
    subject = finding.get("subject") or {}
    incident.updated_at = at
    incident.has_runbook = verdict.has_runbook
    incident.severity = verdict.severity or finding.get("severity") or incident.severity
    incident.health_impact = verdict.health_impact or incident.health_impact
    incident.component = verdict.component or incident.component
    if subject:
        incident.subject = "/".join(p for p in (subject.get("kind"), subject.get("namespace"), subject.get("name")) if p)
        incident.namespace = subject.get("namespace") or incident.namespace
    last = incident.diagnoses[-1] if incident.diagnoses else None
    changed = last is None or last.verdict != verdict.verdict or last.cause_id != str(cause.get("id") or "")
    incident.verdict = verdict.verdict
    incident.finding_id = str(finding.get("id") or "")
    incident.note = verdict.note
    incident.cause_id = str(cause.get("id") or "")
    incident.cause_title = str(cause.get("title") or "")
    incident.confidence = str(cause.get("confidence") or "")
    if changed:
        incident.diagnoses.append(Diagnosis(at=at, verdict=verdict.verdict, cause_id=incident.cause_id,
                                            note=verdict.note, finding=verdict.finding))
    elif last is not None:
        last.finding = verdict.finding


def _parse(value: Any) -> datetime | None:
    from virt_doctor.timeutil import parse_time

    return parse_time(value)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC): make them comparable."""
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
