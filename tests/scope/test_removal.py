"""Removing data never creates a finding: drop any one kind's files, or any one namespace's tree, and scan again.

A real dump is always partial. What was not collected may turn findings into skips or lower a
diagnosis to `unknown`; it may never make an alert fire, nor name a cause that was not named before.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from tests.scope.conftest import DUMP_IDS
from tests.scope.removal import created, firing
from virt_doctor.report.model import Report
from virt_doctor.rules.engine import evaluate
from virt_doctor.sources import mustgather
from virt_doctor.sources.dump import _walk, in_memory, read_entries
from virt_doctor.sources.gatherers import Gatherers, kinds_proven_by
from virt_doctor.sources.load import snapshot_of

Files = list[tuple[str, bytes]]


def read_all(root: Path) -> Files:
    """Every file of a dump, read once."""
    return [(rel, read(None)) for rel, _, read in _walk(root)]


def removable(files: Files) -> dict[str, set[str]]:
    """The groups of files a partial dump may lack: each kind's files (with what proves its gatherer listed it
    cluster-wide: a dump whose gatherer lists a kind everywhere and shows none of it says there is none), each
    namespace's tree."""
    groups: dict[str, set[str]] = defaultdict(set)
    gatherers = Gatherers()
    for rel, _ in files:
        parts = rel.split("/")
        listing = mustgather.listing_of(rel)
        inner = gatherers.image_of(rel)
        for kind in kinds_proven_by(inner[1]) if inner is not None else ():
            groups[f"kind {kind}"].add(rel)
        if listing is not None:
            groups[f"kind {listing[0]}"].add(rel)
        elif "pods" in parts[:-1] and "namespaces" in parts:  # a pod's own file and its logs
            groups["kind Pod"].add(rel)
        namespace = mustgather.inspected_namespace(rel)
        if namespace:
            groups[f"namespace {namespace}"].add(rel)
    return groups


def scan_files(location: str, files: Files) -> Report:
    raw = read_entries(location, in_memory(files))
    assert raw.collected_at is not None
    return evaluate(snapshot_of(raw, raw.collected_at))


@pytest.mark.slow
@pytest.mark.parametrize("dump_id", DUMP_IDS)
def test_removing_data_never_creates_a_finding(dump_id: str, scope_dumps: dict[str, Path]) -> None:
    files = read_all(scope_dumps[dump_id])
    full = scan_files(dump_id, files)
    before = firing(full)
    groups = removable(files)
    # not vacuous: the whole dump fires, and there is something of each kind to take away
    assert before, f"{dump_id}: the whole dump fires nothing, so removal could not create anything to see"
    assert {"kind Pod", "kind Node", "kind VirtualMachine"} <= set(groups) and all(groups.values())
    assert any(group.startswith("namespace ") for group in groups)
    problems = {}
    for group, removed in sorted(groups.items()):
        report = scan_files(dump_id, [(rel, data) for rel, data in files if rel not in removed])
        new = created(before, firing(report))
        if new:
            names = {f.id: f"{f.alert} {f.subject.ref()}" for f in report.findings}
            problems[group] = [f"{names[n.split(':')[0]]} {n}" for n in new]
    assert not problems, problems


def test_the_property_check_catches_a_finding_created_by_removal() -> None:
    """The check itself: a finding that appears, or changes to a named cause, is reported; unknown is not."""
    assert created({"a": "x"}, {"a": "x", "b": "y"}) == ["b: y (new)"]
    assert created({"a": "x"}, {"a": "z"}) == ["a: z (was x)"]
    assert created({"a": "x"}, {"a": "unknown"}) == []
    assert created({"a": "x", "b": "y"}, {}) == []
