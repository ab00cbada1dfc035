"""The service's state and its one background job: evaluate the cluster, keep virt-doctor's own incidents in
step with the findings, purge what retention lets go; and a notification taken in, diagnosed, stored."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from virt_doctor.errors import VirtDoctorError
from virt_doctor.serve.alertmanager import Notification
from virt_doctor.serve.auth import WebhookAuth
from virt_doctor.serve.leader import LeaseElector
from virt_doctor.serve.metrics import ServiceMetrics
from virt_doctor.serve.notify import Notifier
from virt_doctor.serve.remediation import Remediator
from virt_doctor.serve.view import ClusterView
from virt_doctor.store.database import sessions
from virt_doctor.store.incidents import (
    STALE_AFTER,
    AlertSeen,
    Verdict,
    expire,
    purge,
    record_notification,
    sync_findings,
)
from virt_doctor.store.problems import ProblemMessage, announce, sync_problems
from virt_doctor.store.schema import Incident
from virt_doctor.timeutil import parse_time

log = logging.getLogger("virt_doctor.serve")


class StoreUnavailable(VirtDoctorError):
    """The store could not take the notification: Alertmanager is told to retry (503)."""


@dataclass
class Service:
    view: ClusterView
    engine: Engine
    interval: float = 60.0  # seconds between evaluations (0: evaluate once, e.g. a dump)
    retention: timedelta | None = timedelta(days=30)
    auth: WebhookAuth = field(default_factory=WebhookAuth)
    max_body: int = 4 * 2**20
    notifier: Notifier | None = None
    external_url: str = ""
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)
    # a live view kept by watches: set on every change, so the rules run again (debounced) without waiting
    changed: threading.Event | None = None
    prepare: Callable[[], None] = lambda: None  # run first in the background (the watches' first list)
    source_problems: Callable[[], list[str]] = list  # e.g. watches failing
    # several replicas: the Lease campaign deciding which one keeps the incidents (serve/leader.py); None: alone
    elector: LeaseElector | None = None
    remediator: Remediator | None = None  # plans, previews and applies (serve/remediation.py)
    stale_after: timedelta = STALE_AFTER  # an Alertmanager-only incident not repeated for this long expires
    mcp_token: str = field(default="", repr=False)  # the bearer token /mcp asks for ("": /mcp is as open as /api)
    reads: str = "the cluster"  # what the view reads, said to assistants ("the live cluster, watched", a dump)

    def __post_init__(self) -> None:
        self.sessions: sessionmaker[Session] = sessions(self.engine)
        self.writes: sessionmaker[Session] = sessions(self.engine, writes=True)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.store_error = ""
        if self.remediator is None:
            self.remediator = Remediator(self.engine)

    # --- the background evaluation --------------------------------------------------------------------------
    def start(self) -> None:
        if self.elector is not None:
            self.metrics.leader.set(0)
            self.elector.on_change = self.leadership_changed
            self.elector.start()
        self._thread = threading.Thread(target=self._loop, name="virt-doctor-evaluate", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.changed is not None:
            self.changed.set()  # wake the loop where it waits for a change
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self.elector is not None:
            self.elector.stop()  # after the last evaluation: give the Lease up for another replica to take

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.prepare()
                break
            except Exception as exc:  # the first read failed: say so in /readyz, and keep trying
                self.view.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
                log.warning("reading the cluster failed: %s", self.view.error)
                self.metrics.refresh_errors.inc()
                self._stop.wait(30)
        while not self._stop.is_set():
            if self.changed is not None:
                self.changed.clear()  # a change from now on means another evaluation
            self.evaluate_once()
            if self.interval <= 0:  # a dump: read once; what only Alertmanager reported still expires
                while not self._stop.wait(60):
                    self.expire_once()
                return
            if self.changed is None:
                self._stop.wait(self.interval)
            elif self.changed.wait(self.interval) and not self._stop.is_set():  # time alone also counts
                self._settle()

    def _settle(self, quiet: float = 1.0, longest: float = 10.0) -> None:
        """Debounce: wait until changes stop for `quiet` seconds (at most `longest`), so a burst of events is
        one evaluation."""
        assert self.changed is not None
        deadline = time.monotonic() + longest
        while time.monotonic() < deadline and not self._stop.is_set():
            self.changed.clear()
            if not self.changed.wait(quiet):
                return

    def evaluate_once(self) -> None:
        """Evaluate, then bring virt-doctor's own incidents in step (and purge old ones)."""
        evaluation = self.view.refresh()
        if evaluation is None:
            self.metrics.evaluations.labels("failed").inc()
            self.metrics.refresh_errors.inc()
            log.warning("reading the cluster failed: %s", self.view.error)
            return
        self.metrics.evaluations.labels("ok").inc()
        self.metrics.evaluation_seconds.observe(evaluation.seconds)
        report = evaluation.report
        self.metrics.set_findings(Counter((f.alert, f.severity) for f in report.findings))
        evaluated = {c.alert for c in report.coverage if c.status == "evaluated"}
        by_id = {f.id: f for f in report.findings}
        from virt_doctor.report.model import finding_to_dict

        def describe(finding: dict[str, Any]) -> Verdict:
            return self.view.verdict_of(by_id[finding["id"]])

        if not self.leading():
            return  # another replica holds the Lease: it keeps the incidents; this one serves from its view
        from virt_doctor.report.model import problem_to_dict

        try:
            with self.writes.begin() as session:
                sync_findings(session, evaluation.finished, [finding_to_dict(f) for f in report.findings],
                              evaluated, describe, observed=parse_time(report.evaluated_at))
                cleared = sync_problems(session, evaluation.finished, [problem_to_dict(p) for p in report.problems],
                                        {f.id: f.alert for f in report.findings},
                                        observed=parse_time(report.evaluated_at))
                expire(session, evaluation.finished)
                if self.retention is not None:
                    purge(session, evaluation.finished - self.retention)
            self.store_error = ""
        except SQLAlchemyError as exc:
            self._store_failed(exc)
            return
        if self.notifier is not None and cleared:
            self.notifier.send([], self.external_url, cleared)
        if self.remediator is not None and self.remediator.policy:
            try:
                self.remediator.auto(report)  # the opt-in policy: the leader alone acts
            except Exception as exc:  # noqa: BLE001  (a failed action must not stop the evaluations)
                log.warning("remediation policy failed: %s", exc)

    def expire_once(self) -> None:
        """Close the Alertmanager-only incidents Alertmanager stopped repeating (the leader alone writes)."""
        if not self.leading():
            return
        try:
            with self.writes.begin() as session:
                expire(session, datetime.now(UTC))
        except SQLAlchemyError as exc:
            self._store_failed(exc)

    def leading(self) -> bool:
        """Whether this replica keeps virt-doctor's own incidents (and purges): the Lease holder, or the only one."""
        return self.elector is None or self.elector.is_leader()

    def leadership_changed(self, leading: bool) -> None:
        """On taking the Lease, evaluate at once: the incidents are this replica's to keep from now."""
        self.metrics.leader.set(1 if leading else 0)
        if leading and self.changed is not None:
            self.changed.set()

    # --- notifications ---------------------------------------------------------------------------------------
    def receive(self, notification: Notification) -> list[Incident]:
        """Diagnose each alert against the view and store it all in one transaction; raise StoreUnavailable
        when it could not be committed (nothing is acknowledged that is not stored)."""
        now = datetime.now(UTC)
        alerts = [AlertSeen(key=a.fingerprint, alertname=a.name, status=a.status, labels=a.labels,
                            starts_at=a.starts_at, ends_at=a.ends_at,
                            verdict=self.view.verdict(a.name, a.labels) if a.status == "firing" else Verdict("resolved"))
                  for a in notification.alerts]
        for attempt in range(3):  # two replicas opening the same incident at once: the loser retries as an update
            try:
                with self.writes.begin() as session:
                    touched = record_notification(session, now, notification.receiver, notification.group_key,
                                                  notification.status, notification.raw, alerts, self.stale_after)
                    due = self._announce(session, now, alerts, touched)
                self.store_error = ""
                break
            except SQLAlchemyError as exc:
                if attempt == 2 or not _is_conflict(exc):
                    self._store_failed(exc)
                    raise StoreUnavailable(self.store_error) from exc
        if self.notifier is not None:
            self.notifier.send([i for i in touched if i.state == "firing"], self.external_url, due)
        firing = sum(1 for a in alerts if a.status == "firing")
        log.info("notification from %s: %d alerts (%d firing, %d resolved) → incidents %s%s",
                 notification.receiver or "(no receiver)", len(alerts), firing, len(alerts) - firing,
                 ", ".join(str(i.id) for i in touched),
                 "".join(f"; problem {m.key} {m.kind}" for m in due))
        return touched

    def _announce(self, session: Session, now: datetime, alerts: list[AlertSeen],
                  touched: list[Incident]) -> list[ProblemMessage]:
        """The problems the firing alerts belong to (in the view): each announced once, updated when it grew; the
        alerts' incidents linked to them."""
        current = self.view.current
        if current is None:
            return []
        from virt_doctor.report.model import finding_from_dict, problem_to_dict

        arrived = [finding_from_dict(a.verdict.finding) for a in alerts if a.verdict.finding]
        problem_of = {fid: p for p in self.view.problems_with(arrived) for fid in p.findings}
        alert_of = {f.id: f.alert for f in [*current.report.findings, *arrived]}
        due: list[ProblemMessage] = []
        seen: set[str] = set()
        for alert in alerts:
            finding_id = str((alert.verdict.finding or {}).get("id") or "")
            problem = problem_of.get(finding_id) if alert.status == "firing" else None
            if problem is None or problem.id in seen:
                continue
            seen.add(problem.id)
            message = announce(session, now, problem_to_dict(problem), alert_of)
            if message is not None:
                due.append(message)
            session.execute(update(Incident).where(Incident.finding_id.in_(problem.findings))
                            .values(problem_key=problem.id).execution_options(synchronize_session=False))
        for incident in touched:  # the objects in hand, too (the bulk update does not reach them)
            found = problem_of.get(incident.finding_id)
            if found is not None:
                incident.problem_key = found.id
        return due

    # --- health ----------------------------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """Why the service is degraded (empty: ready)."""
        out = list(self.source_problems())
        if self.view.current is None:
            out.append("the cluster has not been read yet" + (f" ({self.view.error})" if self.view.error else ""))
        elif self.view.error:
            out.append(f"the last read of the cluster failed ({self.view.error}); serving the previous one")
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            self._store_failed(exc)
            out.append(f"the store is unavailable ({self.store_error})")
        return out

    def _store_failed(self, exc: SQLAlchemyError) -> None:
        self.metrics.store_errors.inc()
        self.store_error = str(getattr(exc, "orig", exc) or type(exc).__name__).strip().splitlines()[0][:300]
        log.warning("store error: %s", self.store_error)


def _is_conflict(exc: SQLAlchemyError) -> bool:
    from sqlalchemy.exc import IntegrityError

    return isinstance(exc, IntegrityError)
