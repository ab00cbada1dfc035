"""The incident store, on SQLite and on PostgreSQL: schema from the migrations, and what happens to incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from virt_doctor.store.database import open_engine, sessions
from virt_doctor.store.incidents import (
    STALE_AFTER,
    AlertSeen,
    Filters,
    Verdict,
    counts,
    expire,
    incident,
    incidents,
    purge,
    record_notification,
    sync_findings,
)
from virt_doctor.store.schema import Base, Diagnosis, Incident, Notification

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
HOLDS = Verdict("holds", finding={"id": "f1", "alert": "VirtHandlerDown", "severity": "critical",
                                  "subject": {"kind": "DaemonSet", "namespace": "kubevirt", "name": "virt-handler"},
                                  "cause": {"id": "image-pull", "title": "The image cannot be pulled",
                                            "confidence": "high"}},
                severity="critical", health_impact="critical", component="kubevirt")


def alert(status: str = "firing", key: str = "fp1", verdict: Verdict = HOLDS, name: str = "VirtHandlerDown",
          ends: datetime | None = None) -> AlertSeen:
    return AlertSeen(key=key, alertname=name, status=status, labels={"alertname": name, "namespace": "kubevirt"},
                     starts_at=T0, ends_at=ends, verdict=verdict)


def test_the_migrations_make_exactly_the_models_tables(db_url: str) -> None:
    engine = open_engine(db_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    open_engine(db_url)  # migrating again is a no-op


def test_a_notification_opens_repeats_update_resolved_closes(db_url: str) -> None:
    make = sessions(open_engine(db_url))
    with make.begin() as s:
        [opened] = record_notification(s, T0, "vd", "g", "firing", {"n": 1}, [alert()])
    with make.begin() as s:
        [again] = record_notification(s, T0 + timedelta(minutes=5), "vd", "g", "firing", {"n": 2}, [alert()])
    assert again.id == opened.id
    with make() as s:
        found = incident(s, opened.id)
        assert found is not None and found.state == "firing" and found.notifications == 2
        assert found.cause_id == "image-pull" and found.subject == "DaemonSet/kubevirt/virt-handler"
        assert [d.verdict for d in found.diagnoses] == ["holds"]  # unchanged: no new timeline entry
    changed = Verdict("not-holding", note="the condition does not hold", severity="critical")
    with make.begin() as s:
        record_notification(s, T0 + timedelta(minutes=10), "vd", "g", "firing", {"n": 3}, [alert(verdict=changed)])
    with make.begin() as s:
        record_notification(s, T0 + timedelta(minutes=15), "vd", "g", "resolved", {"n": 4},
                            [alert("resolved", ends=T0 + timedelta(minutes=14))])
    with make() as s:
        found = incident(s, opened.id)
        assert found is not None and found.state == "resolved"
        assert found.ends_at is not None and found.ends_at.replace(tzinfo=UTC) == T0 + timedelta(minutes=14)
        assert [d.verdict for d in found.diagnoses] == ["holds", "not-holding", "resolved"]
        assert [n.payload for n in s.scalars(select(Notification).order_by(Notification.id))] == \
            [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]
    with make.begin() as s:  # fires again: the same instance, reopened
        record_notification(s, T0 + timedelta(hours=1), "vd", "g", "firing", {"n": 5}, [alert()])
    with make() as s:
        found = incident(s, opened.id)
        assert found is not None and found.state == "firing" and found.ends_at is None
        assert s.scalar(select(func.count()).select_from(Incident)) == 1


def test_an_alert_without_a_runbook_is_kept_and_marked(db_url: str) -> None:
    make = sessions(open_engine(db_url))
    unknown = Verdict("no-runbook", note="virt-doctor has no runbook for Foo", has_runbook=False)
    with make.begin() as s:
        [kept] = record_notification(s, T0, "vd", "g", "firing", {}, [alert(key="fp9", name="Foo", verdict=unknown)])
    with make() as s:
        found = incident(s, kept.id)
        assert found is not None and not found.has_runbook and found.diagnoses[0].verdict == "no-runbook"


def finding(fid: str, alert_name: str = "VirtualMachineStuckOnNode") -> dict:  # type: ignore[type-arg]
    return {"id": fid, "alert": alert_name, "severity": "warning", "since": "2026-11-20T08:00:00Z", "labels": {},
            "subject": {"kind": "VirtualMachine", "namespace": "vms", "name": fid},
            "cause": {"id": "kvm-unavailable", "title": "KVM", "confidence": "high"}}


def describe(f: dict) -> Verdict:  # type: ignore[type-arg]
    return Verdict("holds", finding=f, severity=f["severity"])


def test_own_incidents_follow_the_findings_and_a_skipped_alert_resolves_nothing(db_url: str) -> None:
    make = sessions(open_engine(db_url))
    with make.begin() as s:
        assert sync_findings(s, T0, [finding("a"), finding("b"), finding("c", "VirtHandlerDown")],
                             {"VirtualMachineStuckOnNode", "VirtHandlerDown"}, describe) == (3, 0, 0)
    with make.begin() as s:  # b is gone (its alert evaluated); VirtHandlerDown was skipped this time
        assert sync_findings(s, T0 + timedelta(minutes=1), [finding("a")], {"VirtualMachineStuckOnNode"},
                             describe) == (0, 1, 1)
    with make() as s:
        states = {i.key: i.state for i in incidents(s, Filters())}
        assert states == {"vd:a": "firing", "vd:b": "resolved", "vd:c": "firing"}
        assert counts(s)["severity"] == {"warning": 2}
        opened = next(i for i in incidents(s) if i.key == "vd:a")
        assert opened.starts_at.replace(tzinfo=UTC) == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # the finding's since
    with make.begin() as s:  # b comes back: reopened, not a second incident
        assert sync_findings(s, T0 + timedelta(minutes=2), [finding("a"), finding("b")],
                             {"VirtualMachineStuckOnNode"}, describe) == (1, 1, 0)


def test_retention_forgets_old_resolved_incidents_and_notifications_only(db_url: str) -> None:
    make = sessions(open_engine(db_url))
    with make.begin() as s:
        record_notification(s, T0, "vd", "g", "firing", {}, [alert(key="old"), alert(key="open")])
        record_notification(s, T0, "vd", "g", "resolved", {}, [alert("resolved", key="old", ends=T0)])
        record_notification(s, T0 + timedelta(days=40), "vd", "g", "firing", {}, [alert(key="new")])
    with make.begin() as s:
        assert purge(s, T0 + timedelta(days=30)) == (1, 2)
    with make() as s:
        assert sorted(i.key for i in incidents(s)) == ["new", "open"]  # a firing incident is never forgotten
        assert s.scalar(select(func.count()).select_from(Notification)) == 1
        assert s.scalar(select(func.count()).select_from(Diagnosis).where(
            ~Diagnosis.incident_id.in_(select(Incident.id)))) == 0


def test_an_alertmanager_incident_nothing_resolves_expires(db_url: str) -> None:
    """Alertmanager's webhook sends firing alerts without their endsAt: one it stopped repeating (no resolved
    notification ever came) closes STALE_AFTER after its last notification; one whose sender gave an endsAt, then;
    virt-doctor's own incidents are its evaluations' to close."""
    engine = open_engine(db_url)
    with sessions(engine, writes=True).begin() as session:
        record_notification(session, T0, "r", "g", "firing", {}, [alert(key="quiet")])
        record_notification(session, T0, "r", "g", "firing", {}, [
            AlertSeen("timed", "VirtHandlerDown", "firing", {"alertname": "VirtHandlerDown"}, T0,
                      T0 + timedelta(hours=1), HOLDS)])
        sync_findings(session, T0, [finding("own")], {"VirtualMachineStuckOnNode"}, describe)
    with sessions(engine, writes=True).begin() as session:
        assert expire(session, T0 + timedelta(minutes=59)) == 0
        assert expire(session, T0 + timedelta(hours=2)) == 1  # the one with its own endsAt
        assert expire(session, T0 + STALE_AFTER - timedelta(minutes=1)) == 0
        assert expire(session, T0 + STALE_AFTER + timedelta(minutes=1)) == 1
    with sessions(engine)() as session:
        states = {i.key: (i.state, i.note) for i in session.scalars(select(Incident))}
    assert states["timed"][0] == states["quiet"][0] == "resolved"
    assert states["quiet"][1].startswith("expired: Alertmanager stopped repeating it")
    assert states["vd:own"][0] == "firing"
    # a repeat before the deadline keeps it: the deadline moves with each notification
    with sessions(engine, writes=True).begin() as session:
        record_notification(session, T0, "r", "g", "firing", {}, [alert(key="again")])
        record_notification(session, T0 + timedelta(hours=8), "r", "g", "firing", {}, [alert(key="again")])
        assert expire(session, T0 + STALE_AFTER + timedelta(minutes=1)) == 0


def test_a_dump_served_for_a_look_uses_a_throw_away_store(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from virt_doctor.serve.config import ServeConfig, store_of
    from virt_doctor.store.paths import DEFAULT_DB

    example = Path(__file__).resolve().parents[2] / "examples" / "broken-cluster"
    path, throwaway = store_of(ServeConfig(source=example))
    assert throwaway and path != str(DEFAULT_DB) and Path(path).parent.name.startswith("virt-doctor-serve-")
    assert store_of(ServeConfig(source=example, db=str(tmp_path / "kept.db"))) == (str(tmp_path / "kept.db"), False)
    assert store_of(ServeConfig(source=None, interval=60)) == (str(DEFAULT_DB), False)
