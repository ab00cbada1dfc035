"""What happens to problems: each evaluation brings them in step with the report's; an Alertmanager notification
for one of their alerts says what the chat webhook must hear (opened once, joined by a new alert); a problem gone
from the report clears. Each function works in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from virt_doctor.store.schema import Incident, ProblemRow

FIRING, RESOLVED = "firing", "resolved"


@dataclass(frozen=True)
class ProblemMessage:
    """One message due about a problem: it opened, alerts joined it, or it cleared."""

    kind: str  # opened | joined | cleared
    key: str
    title: str
    severity: str
    root: str
    cause: str
    alerts: dict[str, str] = field(default_factory=dict)  # finding id -> alert name: every alert it set off
    new: tuple[str, ...] = ()  # the finding ids this message is about (joined: the newcomers)


def _since(problem: dict[str, Any]) -> datetime | None:
    """When the problem began in the cluster (its earliest finding), not when virt-doctor first saw it."""
    from virt_doctor.timeutil import parse_time

    return parse_time(problem.get("since"))


def _root(problem: dict[str, Any]) -> str:
    root = problem.get("root") or {}
    return "/".join(p for p in (root.get("kind"), root.get("namespace"), root.get("name")) if p)


def sync_problems(session: Session, at: datetime, problems: Sequence[dict[str, Any]],
                  alert_of: dict[str, str], observed: datetime | None = None) -> list[ProblemMessage]:
    """The report's problems now: kept up to date (its incidents linked to it); a firing one no longer there is
    cleared. A problem whose findings do not say when they began opened at `observed` (the evaluation time of the
    cluster state), else `at`. Returns the messages due: a cleared problem that was announced."""
    current = {p["id"]: p for p in problems}
    rows = {r.key: r for r in session.scalars(select(ProblemRow).where(
        or_(ProblemRow.key.in_(list(current)), ProblemRow.state == FIRING)))} if current else \
        {r.key: r for r in session.scalars(select(ProblemRow).where(ProblemRow.state == FIRING))}
    for key, problem in current.items():
        row = rows.get(key)
        if row is None:
            row = ProblemRow(key=key, opened_at=_since(problem) or observed or at, notified=[], findings=[],
                             alerts={})
            session.add(row)
            rows[key] = row
        row.title, row.severity, row.root, row.cause = (problem["title"], problem["severity"], _root(problem),
                                                        problem["cause"])
        if row.state != FIRING:
            row.notified = []  # back after clearing: a new announcement
        row.state, row.ends_at, row.updated_at = FIRING, None, at
        row.findings = list(problem["findings"])
        row.alerts = {fid: alert_of.get(fid, "") for fid in problem["findings"]}
        session.execute(update(Incident).where(Incident.finding_id.in_(row.findings))
                        .values(problem_key=key).execution_options(synchronize_session=False))
    cleared = []
    for key, row in rows.items():
        if key not in current and row.state == FIRING:
            row.state, row.ends_at, row.updated_at = RESOLVED, at, at
            if row.notified:
                cleared.append(_message("cleared", row, ()))
    return cleared


def announce(session: Session, at: datetime, problem: dict[str, Any], alert_of: dict[str, str]) -> ProblemMessage | None:
    """Alertmanager delivered an alert of this problem: the message due — opened (naming every alert it set off so
    far, so a storm is one message), joined (naming the newcomers), or none (already said)."""
    row = session.scalar(select(ProblemRow).where(ProblemRow.key == problem["id"]).with_for_update())
    if row is None:
        row = ProblemRow(key=problem["id"], title=problem["title"], severity=problem["severity"], state=FIRING,
                         root=_root(problem), cause=problem["cause"], findings=list(problem["findings"]),
                         alerts={fid: alert_of.get(fid, "") for fid in problem["findings"]}, notified=[],
                         opened_at=_since(problem) or at, updated_at=at)
        session.add(row)
    new = tuple(fid for fid in problem["findings"] if fid not in set(row.notified))
    if not new:
        return None
    kind = "joined" if row.notified else "opened"
    row.notified = list(row.notified) + list(new)
    row.updated_at = at
    return _message(kind, row, new)


def _message(kind: str, row: ProblemRow, new: tuple[str, ...]) -> ProblemMessage:
    return ProblemMessage(kind, row.key, row.title, row.severity, row.root, row.cause, dict(row.alerts or {}), new)


def problems(session: Session, state: str = FIRING, limit: int = 200) -> list[ProblemRow]:
    """Problems in a state, worst first, newest first."""
    from sqlalchemy import case

    rank = case({"critical": 0, "warning": 1, "info": 2}, value=ProblemRow.severity, else_=3)
    query = select(ProblemRow)
    if state:
        query = query.where(ProblemRow.state == state)
    rows = list(session.scalars(query.order_by(rank, ProblemRow.opened_at.desc(), ProblemRow.id.desc()).limit(limit)))
    order = {"critical": 0, "warning": 1, "info": 2}
    # as a report lists them: the worst, then the biggest storm first
    return sorted(rows, key=lambda r: (order.get(r.severity, 3), -len(r.findings or ()), r.title))


def problem(session: Session, key: str) -> ProblemRow | None:
    return session.scalar(select(ProblemRow).where(ProblemRow.key == key))


def incidents_of(session: Session, key: str) -> list[Incident]:
    """The incidents of a problem: firing first, then by alert."""
    return list(session.scalars(select(Incident).where(Incident.problem_key == key)
                                .order_by(Incident.state, Incident.alertname, Incident.id)))
