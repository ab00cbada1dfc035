"""Removing data never creates a finding: drop any one kind's files, or any one namespace's tree, and scan again.

A real dump is always partial. What was not collected may turn findings into skips or lower a
diagnosis to `unknown`; it may never make an alert fire, nor name a cause that was not named before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scope.conftest import DUMP_IDS
from tests.scope.removal import created, firing, moved, read_all, removable, scan_files


@pytest.mark.slow
@pytest.mark.parametrize("dump_id", DUMP_IDS)
def test_removing_data_never_creates_a_finding(dump_id: str, scope_dumps: dict[str, Path]) -> None:
    """Nor puts findings together that were apart, nor names a root that was not on a finding's path."""
    files = read_all(scope_dumps[dump_id])
    full, full_snap = scan_files(dump_id, files)
    before = firing(full)
    groups = removable(files)
    # not vacuous: the whole dump fires, and there is something of each kind to take away
    assert before, f"{dump_id}: the whole dump fires nothing, so removal could not create anything to see"
    assert {"kind Pod", "kind Node", "kind VirtualMachine"} <= set(groups) and all(groups.values())
    assert any(group.startswith("namespace ") for group in groups)
    problems = {}
    for group, removed in sorted(groups.items()):
        report, snap = scan_files(dump_id, [(rel, data) for rel, data in files if rel not in removed])
        new = created(before, firing(report))
        if new:
            names = {f.id: f"{f.alert} {f.subject.ref()}" for f in report.findings}
            problems[group] = [f"{names[n.split(':')[0]]} {n}" for n in new]
        if wrong := moved(full, full_snap, report, snap):
            problems[f"{group} (problems)"] = wrong
    assert not problems, problems


def test_the_property_check_catches_a_finding_created_by_removal() -> None:
    """The check itself: a finding that appears, or changes to a named cause, is reported; unknown is not."""
    assert created({"a": "x"}, {"a": "x", "b": "y"}) == ["b: y (new)"]
    assert created({"a": "x"}, {"a": "z"}) == ["a: z (was x)"]
    assert created({"a": "x"}, {"a": "unknown"}) == []
    assert created({"a": "x", "b": "y"}, {}) == []
