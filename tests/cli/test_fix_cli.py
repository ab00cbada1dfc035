"""`virt-doctor fix` on the shipped example: a correct plan for each finding (every action aimed at an object the
dump holds, at the resourceVersion it has there), and bad input refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from virt_doctor.cli.app import app
from virt_doctor.remedy.request import object_path
from virt_doctor.report.actions import Action
from virt_doctor.scan import ScanRequest, run_scan

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "broken-cluster"


def fix(*args: str, db: Path) -> tuple[int, str]:
    done = CliRunner().invoke(app, ["fix", *args, "--db", str(db)])
    return done.exit_code, done.output


def test_the_example_gets_a_plan_for_each_finding_aimed_at_what_the_dump_holds(tmp_path: Path) -> None:
    result = run_scan(ScanRequest(source=EXAMPLE))
    code, out = fix("--from", str(EXAMPLE), "-o", "json", db=tmp_path / "s.db")
    assert code == 0, out
    plans = json.loads(out)["plans"]
    expected = [(f.id, s.id) for f in result.report.findings for s in f.remediation if s.action]
    assert [(p["finding"], p["step"]) for p in plans] == expected and len(expected) >= 15
    snap = result.snapshot
    for plan in plans:
        action = Action.from_dict(plan["action"])
        if action.verb == "create":
            assert snap.get("VirtualMachineInstance", action.namespace, plan["action"]["body"]["spec"]["vmiName"])
            continue
        target = snap.get(action.kind, action.namespace, action.name)
        assert target is not None, plan
        assert action.resource_version == target["metadata"]["resourceVersion"], plan
        assert plan["request"]["path"] == object_path(action)
        assert plan["preview"] is None and plan["kubectl"].startswith(("kubectl ", "virtctl "))
    code, text = fix("--from", str(EXAMPLE), db=tmp_path / "s.db")
    assert code == 0 and text.count("(from a dump: no preview") == len(plans)
    assert "no step virt-doctor can carry out: by hand" in text  # e.g. the duplicate default classes


def test_one_finding_by_id_prefix_and_by_alert_and_labels(tmp_path: Path) -> None:
    result = run_scan(ScanRequest(source=EXAMPLE))
    stuck = next(f for f in result.report.findings if f.alert == "VirtualMachineStuckOnNode"
                 and any(s.action for s in f.remediation))
    code, out = fix(stuck.id[:8], "--from", str(EXAMPLE), "-o", "json", db=tmp_path / "s.db")
    assert code == 0 and {p["finding"] for p in json.loads(out)["plans"]} == {stuck.id}
    code, out = fix("--alert", "VirtualMachineStuckOnNode", "-l", f"namespace={stuck.subject.namespace}", "-l",
                    f"name={stuck.subject.name}", "--from", str(EXAMPLE), "-o", "json", db=tmp_path / "s.db")
    assert code == 0 and {p["finding"] for p in json.loads(out)["plans"]} == {stuck.id}
    steps = [s.id for s in stuck.remediation if s.action]
    code, out = fix(stuck.id, "--step", steps[0], "--from", str(EXAMPLE), "-o", "json", db=tmp_path / "s.db")
    assert code == 0 and [p["step"] for p in json.loads(out)["plans"]] == steps[:1]
    manual = next(s.id for s in stuck.remediation if not s.action)
    code, out = fix(stuck.id, "--step", manual, "--from", str(EXAMPLE), db=tmp_path / "s.db")
    assert code == 2 and f"--step {manual}: not an automatable step" in out


@pytest.mark.parametrize(("args", "says"), [
    (["abc"], "give at least 6 characters"),
    (["ffffffffffff"], "no finding ffffffffffff holds now"),
    (["--apply"], "--apply needs the live cluster"),
    (["--alert", "OrphanedVirtualMachineInstances", "-l", "node=nope"], "no finding OrphanedVirtualMachineInstances"),
    (["-o", "yaml"], "-o 'yaml': give text or json"),
    (["--alert", "OrphanedVirtualMachineInstances", "-l", "node"], "--label 'node': expected k=v"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], says: str) -> None:
    code, out = fix(*args, "--from", str(EXAMPLE), db=tmp_path / "s.db")
    assert code == 2 and says in out and "Traceback" not in out, out
