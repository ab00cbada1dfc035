"""The benchmarks that need no server still run: each at a tiny size prints its tables, a row per measurement
(the figures themselves are docs/benchmarks.md's, from full runs; here only that the scripts work)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def run(script: str, *args: str) -> list[str]:
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()


def rows(lines: list[str], header_starts: str) -> list[list[str]]:
    """The body rows of the Markdown table whose header starts so, as cells."""
    at = next(i for i, line in enumerate(lines) if line.startswith(header_starts))
    body = []
    for line in lines[at + 2:]:
        if not line.startswith("|"):
            break
        body.append([cell.strip() for cell in line.strip("|").split("|")])
    return body


def test_scan_scale_compares_one_process_with_all(tmp_path: Path) -> None:
    lines = run("scan_scale.py", "--sizes", "150,300", "--repeat", "1", "--out", str(tmp_path), "--archives", "300")
    table = rows(lines, "| VMs | format | objects")
    assert [(r[0], r[1]) for r in table] == [("150", "json"), ("150", "yaml"), ("300", "json"), ("300", "yaml")]
    for row in table:
        assert float(row[4]) > 0 and float(row[6]) > 0 and float(row[9]) > 0  # floor, one process, all
    assert len(rows(lines, "| VMs | format | parse floor s")) == 4
    assert [r[0] for r in rows(lines, "| parser |")][1] == "yaml-rs (virt-doctor's parser)"
    archives = rows(lines, "| VMs | read from")
    assert [r[1] for r in archives] == ["directory", "zip", "tar.gz", "tar.gz, through tarfile (no libarchive)"]
    assert all(float(r[2]) > 0 and float(r[3]) > 0 for r in archives)


def test_rule_profile_times_each_alert(tmp_path: Path) -> None:
    lines = run("rule_profile.py", "--sizes", "150,300", "--top", "5", "--out", str(tmp_path))
    assert [r[0] for r in rows(lines, "| VMs | objects")] == ["150", "300"]
    alerts = rows(lines, "| alert |")
    assert len(alerts) == 5 and all(float(r[2]) >= 0 for r in alerts)


def test_problem_storm_groups_each_storm_into_one_problem(tmp_path: Path) -> None:
    lines = run("problem_storm.py", "--sizes", "300", "--repeat", "1", "--out", str(tmp_path))
    table = rows(lines, "| storm |")
    assert [r[0] for r in table] == ["storm-node-down", "storm-handler-crashloop"]
    assert all(r[4] == "1" for r in table)  # one problem each
