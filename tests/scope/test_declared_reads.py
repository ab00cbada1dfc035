"""Every rule reads only what it declares (`needs` and `reads`, with their scope), over every dump we have."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from tests.scope.conftest import DUMP_IDS
from tests.scope.recorder import CLUSTER_WIDE, recording
from virt_doctor.rules.detection import CannotEvaluate
from virt_doctor.rules.engine import _default_registry
from virt_doctor.rules.registry import ALL, CLUSTER, SUBJECT, Read, RuleSpec
from virt_doctor.snapshot import Snapshot
from virt_doctor.snapshot.discover import install_namespaces
from virt_doctor.sources.load import load_dump


def covers(read: Read, where: str, installed: dict[str, str]) -> bool:
    """Whether a declaration covers one recorded read of its kind, `where` a namespace or '*' (cluster-wide)."""
    if read.scope in (CLUSTER, ALL):
        return True
    if read.scope == SUBJECT:
        return where != CLUSTER_WIDE
    return where != CLUSTER_WIDE and installed.get(read.scope) == where


def undeclared(spec: RuleSpec, snap: Snapshot, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The reads one rule makes on `snap` that its declarations do not cover."""
    snap._derived.clear()  # each rule pays for what it derives itself
    installed = install_namespaces(snap)  # where things are installed: the engine's, not the rule's, read
    with recording(monkeypatch) as reads, contextlib.suppress(CannotEvaluate):
        list(spec.fn(snap))
    monkeypatch.undo()
    return [f"{kind}@{where}" for kind, where in sorted(reads)
            if not any(r.kind == kind and covers(r, where, installed) for r in spec.declared)]


@pytest.mark.slow
@pytest.mark.parametrize("dump_id", DUMP_IDS)
def test_rules_read_only_what_they_declare(dump_id: str, scope_dumps: dict[str, Path],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    snap = load_dump(scope_dumps[dump_id])
    problems = {spec.alert: found for spec in _default_registry() if (found := undeclared(spec, snap, monkeypatch))}
    assert not problems, problems


def test_the_recorder_sees_an_undeclared_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself: a rule that reads Nodes without saying so is caught; with the declaration it is not."""
    from virt_doctor.rules.registry import Registry, rule
    from virt_doctor.snapshot import Seen, SourceInfo

    registry = Registry()

    @rule("VirtAPIDown", needs=("Pod@kubevirt-namespace",), registry=registry)
    def sneaky(snap: Snapshot) -> list:
        snap.kind("Node")
        snap.index("pods_by_namespace", "elsewhere")
        return []

    snap = Snapshot(objects=[], at=load_dump(Path(__file__).resolve().parents[2] / "examples" / "broken-cluster").at,
                    source=SourceInfo("simulated", "t"), seen=Seen())
    spec = registry.get("VirtAPIDown")
    assert spec is not None
    assert undeclared(spec, snap, monkeypatch) == ["Node@*", "Pod@elsewhere"]
