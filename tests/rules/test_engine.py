"""The engine: coverage, crash isolation, pending vs firing, stable ids, catalog text joined in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import SimulateFn, findings_for, scan
from virt_doctor.catalog import load_catalog
from virt_doctor.report.model import Subject
from virt_doctor.rules.detection import Detection
from virt_doctor.rules.engine import evaluate
from virt_doctor.rules.registry import REGISTRY, Registry, rule
from virt_doctor.snapshot import Missing, Scope, Seen, Snapshot, SourceInfo
from virt_doctor.snapshot.seen import FORBIDDEN, LISTED
from virt_doctor.sources.load import load_dump

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def registry() -> Registry:
    """A fresh registry, so tests can register rules without touching the real one."""
    return Registry()


def snap_of(*objects: dict, seen: Seen | None = None) -> Snapshot:
    """A snapshot of these objects; by default their kinds count as listed everywhere."""
    seen = seen if seen is not None else Seen.everywhere({o["kind"] for o in objects})
    return Snapshot(objects=list(objects), at=AT, source=SourceInfo("simulated", "test"), seen=seen)


def test_a_crashing_rule_is_isolated_and_reported(registry: Registry) -> None:
    @rule("VirtHandlerDown", needs=("Node",), causes=("unknown",), registry=registry)
    def broken(snap: Snapshot) -> Iterator[Detection]:
        raise RuntimeError("boom")
        yield  # pragma: no cover

    @rule("VirtAPIDown", needs=("Node",), causes=("unknown",), registry=registry)
    def works(snap: Snapshot) -> Iterator[Detection]:
        yield Detection(Subject("Node", "", "n1"), "unknown", "something", checked=("a", "b"))

    report = evaluate(snap_of({"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"}}), registry=registry)
    coverage = {c.alert: c for c in report.coverage}
    assert coverage["VirtHandlerDown"].status == "skipped"
    reason = coverage["VirtHandlerDown"].reason
    assert reason.startswith("internal error in rule (") and reason.endswith("): RuntimeError: boom"), reason
    assert "test_engine.py" not in reason  # points at virt-doctor code only (no package frame here)
    assert coverage["VirtAPIDown"].status == "evaluated"
    assert [f.alert for f in report.findings] == ["VirtAPIDown"]
    finding = report.findings[0]
    assert finding.cause.confidence == "low"
    assert [e.note for e in finding.evidence] == ["checked: a", "checked: b"]
    assert len(report.coverage) == len(load_catalog())


def test_missing_kinds_and_metric_alerts_are_skipped_with_a_reason(registry: Registry) -> None:
    @rule("VirtHandlerDown", needs=("Pod", "DaemonSet"), causes=("unknown",), registry=registry)
    def needs_pods(snap: Snapshot) -> Iterator[Detection]:
        yield from ()

    report = evaluate(snap_of({"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"}}), registry=registry)
    coverage = {c.alert: c for c in report.coverage}
    assert coverage["VirtHandlerDown"].reason == ("Pod (cluster-wide) was not seen: the source holds no list of it; "
                                                  "DaemonSet (cluster-wide) was not seen: the source holds no list of it")
    assert coverage["VirtApiRESTErrorsBurst"].reason == "needs Prometheus (--prometheus)"
    assert all(c.status == "skipped" for c in report.coverage)


def test_lookups_answer_present_absent_or_unknown() -> None:
    seen = Seen({Scope("Pod", "ns1"): LISTED, Scope("Node", ""): LISTED, Scope("Secret", "ns2"): FORBIDDEN},
                reasons={Scope("Secret", "ns2"): "403: secrets is forbidden"}, inspected=frozenset({"ns1", "ns2"}))
    snap = snap_of({"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"}}, seen=seen)
    assert snap.lookup("Node", "", "n1") == snap.get("Node", "", "n1")
    gone = snap.lookup("Node", "", "n2")
    assert isinstance(gone, Missing) and gone.seen and not gone
    assert snap.absent("Pod", "ns1", "p") and not snap.absent("Pod", "ns3", "p")
    unknown = snap.lookup("Pod", "ns3", "p")
    assert isinstance(unknown, Missing) and not unknown.seen
    assert unknown.reason == "Pod in namespace ns3 was not seen: the source did not inspect that namespace"
    refused = snap.lookup("Secret", "ns2", "s")
    assert isinstance(refused, Missing) and not refused.seen
    assert refused.reason == "Secret in namespace ns2 could not be listed (forbidden: 403: secrets is forbidden)"
    assert snap.listed("Node") and not snap.listed("Pod") and snap.listed("Pod", "ns1")


def test_undeclared_cause_is_a_rule_bug(registry: Registry) -> None:
    @rule("VirtHandlerDown", needs=(), causes=("pod-crash-looping",), registry=registry)
    def wrong(snap: Snapshot) -> Iterator[Detection]:
        yield Detection(Subject("Node", "", "n1"), "node-not-ready", "x")

    report = evaluate(snap_of(), registry=registry, only=["VirtHandlerDown"])
    assert report.coverage[0].reason.startswith("internal error in rule (rules/findings.py:")
    assert "): ValueError" in report.coverage[0].reason


def test_registering_an_alert_twice_raises(registry: Registry) -> None:
    rule("VirtHandlerDown", registry=registry)(lambda snap: iter(()))
    with pytest.raises(ValueError, match="registered twice"):
        rule("VirtHandlerDown", registry=registry)(lambda snap: iter(()))


def test_pending_before_the_for_duration_firing_after(registry: Registry) -> None:
    @rule("VirtualMachineStuckOnNode", causes=("unknown",), registry=registry)
    def stuck(snap: Snapshot) -> Iterator[Detection]:
        yield Detection(Subject("VirtualMachine", "ns", "vm"), "unknown", "x", since=AT - timedelta(minutes=4))

    young = evaluate(snap_of(), registry=registry, only=["VirtualMachineStuckOnNode"]).findings[0]
    assert young.state == "pending" and young.since == "2026-11-20T08:56:00Z"
    later = Snapshot(objects=[], at=AT + timedelta(minutes=1), source=SourceInfo("dump", "x"))
    assert evaluate(later, registry=registry, only=["VirtualMachineStuckOnNode"]).findings[0].state == "firing"


def test_pending_and_firing_from_a_simulated_dump(simulated: SimulateFn) -> None:
    path, cluster = simulated(["vm-launcher-not-ready"], age=timedelta(minutes=3))
    finding = findings_for(scan(path), "VirtualMachineStuckOnNode")[0]
    assert finding.state == "pending"  # 3 minutes < 5m
    later = cluster.at + timedelta(minutes=3)
    assert findings_for(scan(path, at=later), "VirtualMachineStuckOnNode")[0].state == "firing"


def test_finding_ids_are_stable_and_distinct(simulated: SimulateFn) -> None:
    path, _ = simulated(["vm-stuck-terminating", "vm-launcher-not-ready"])
    first, second = scan(path), scan(path)
    assert [f.id for f in first.findings] == [f.id for f in second.findings]
    assert len({f.id for f in first.findings}) == len(first.findings) >= 2


def test_real_rule_registry_is_pinned() -> None:
    import virt_doctor.rules.all  # noqa: F401
    from virt_doctor.catalog import load_catalog

    # every catalog alert has a rule, and no rule is for an alert the catalog lacks
    assert {s.alert for s in REGISTRY} == {entry.name for entry in load_catalog()}


def test_rule_authoring_api_exports() -> None:
    import virt_doctor.rules.api as api

    assert sorted(api.__all__) == ["ALL", "CLUSTER", "CannotEvaluate", "Detection", "Evidence", "Missing", "NotSeen", "Read", "SUBJECT",
                                   "Snapshot", "Subject", "a", "discover", "rule"]


def test_dump_from_disk_at_fixed_time_gives_the_same_report_twice(simulated: SimulateFn) -> None:
    path, _ = simulated(["handler-crashloop"])
    assert scan(path) == scan(path)
    assert load_dump(Path(path)).at == load_dump(Path(path)).at


def test_an_object_a_key_function_cannot_read_is_a_warning_not_a_crash() -> None:
    """A real dump may hold odd objects; one of them must not stop the scan."""
    odd = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p", "namespace": "n", "ownerReferences": ["x"]}}
    snap = Snapshot(objects=[odd, {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"}}], at=AT,
                    source=SourceInfo("dump", "x"))
    assert snap.get("Pod", "n", "p") is odd  # still found by name
    report = evaluate(snap)
    assert any(w.startswith("Pod/n/p: a field has an unexpected shape") for w in report.warnings), report.warnings


@pytest.mark.parametrize("alert, missing", [
    ("HPPSharingPoolPathWithOS", "the CSI pods' logs cannot show that no pool shares the OS filesystem (that line "
                                 "is logged only at a higher verbosity)"),
    ("KubeVirtCRModified", "no HyperConverged and KubeVirt CRs in the source"),
])
def test_a_rule_of_metrics_or_objects_skips_only_when_it_has_neither(alert: str, missing: str) -> None:
    node = {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"}}
    without = evaluate(snap_of(node), only=[alert]).coverage[0]
    assert (without.status, without.reason) == ("skipped", f"{missing}, and no Prometheus (--prometheus)")
    with_prometheus = Snapshot(objects=[node], at=AT, source=SourceInfo("simulated", "test"), metrics={})
    report = evaluate(with_prometheus, only=[alert])
    assert report.coverage[0].status == "evaluated" and not report.findings
