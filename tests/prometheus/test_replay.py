"""Unit tests in promtool's format, replayed: promtool checks them against the exported rules, and the same input
series, backfilled into a real Prometheus, must give virt-doctor the same verdict at every eval_time.

A test whose input has `stale` markers cannot be backfilled (OpenMetrics has no staleness marker) and is refused.
"""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.prometheus.conftest import binary, prometheus_from
from tests.prometheus.exported import export
from virt_doctor.report.model import Finding
from virt_doctor.scan import ScanRequest, run_scan
from virt_doctor.sources.prometheus import PrometheusClient
from virt_doctor.timeutil import parse_duration

REPLAY = Path(__file__).parent / "replay"
BASE = datetime(2026, 11, 1, tzinfo=UTC)  # time 0 of every replayed test
_NUMBER = r"-?[0-9.]+(?:e[+-]?[0-9]+)?"
_TERM = re.compile(rf"^(?P<start>{_NUMBER})(?:(?P<sign>[+-])(?P<step>{_NUMBER}))?x(?P<times>\d+)$")


class NotReplayable(Exception):  # noqa: N818
    """An input promtool understands but a backfilled TSDB cannot hold."""


def expand(values: str) -> list[float | None]:
    """promtool's expanding notation: '1 _ 0+10x3 5x2' -> 1, None, 0, 10, 20, 30, 5, 5, 5."""
    out: list[float | None] = []
    for term in values.split():
        if term == "stale":
            raise NotReplayable("a 'stale' marker")
        if term == "_":
            out.append(None)
        elif term.startswith("_x"):
            out += [None] * (int(term[2:]) + 1)
        elif (match := _TERM.match(term)) is not None:
            start, times = float(match["start"]), int(match["times"])
            step = float(match["step"] or 0) * (-1 if match["sign"] == "-" else 1)
            out += [start + i * step for i in range(times + 1)]
        else:
            out.append(float(term))
    return out


def openmetrics(series: list[dict[str, str]], interval: timedelta) -> str:
    """The input series as OpenMetrics text, time 0 at BASE, families grouped."""
    families: dict[str, list[str]] = defaultdict(list)
    for item in series:
        name = item["series"].split("{", 1)[0]
        labels = item["series"][len(name):]
        for index, value in enumerate(expand(item["values"])):
            if value is not None:
                moment = BASE + index * interval
                families[name].append(f"{name}{labels} {value:.10g} {moment.timestamp():.0f}")
    lines = []
    for name, samples in families.items():
        lines += [f"# TYPE {name} unknown", *samples]
    return "\n".join([*lines, "# EOF"]) + "\n"


def replay_files() -> list[Path]:
    return sorted(REPLAY.glob("*.yaml"))


def test_expanding_notation() -> None:
    assert expand("1 _ 0+10x3 5x2 _x1 3-1x2") == [1, None, 0, 10, 20, 30, 5, 5, 5, None, None, 3, 2, 1]
    with pytest.raises(NotReplayable):
        expand("1 stale 2")


@pytest.mark.parametrize("path", replay_files(), ids=lambda p: p.stem)
def test_promtool_agrees_with_the_expectations(path: Path, tmp_path: Path) -> None:
    """The expectations are Prometheus' own: promtool evaluates the exported rules on the same input."""
    exported = export("prometheus")
    rules = {r["alert"]: r for r in exported["groups"][0]["rules"]}
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(exported))
    spec = yaml.safe_load(path.read_text())
    for test in spec["tests"]:
        for check in test["alert_rule_test"]:
            rule = rules[check["alertname"]]
            check["exp_alerts"] = [{"exp_labels": {**rule["labels"], **alert["exp_labels"]},
                                    "exp_annotations": rule["annotations"]} for alert in check["exp_alerts"]]
    test_file = tmp_path / "tests.yaml"
    test_file.write_text(yaml.safe_dump({**spec, "rule_files": [str(tmp_path / "rules.yaml")]}))
    run = subprocess.run([binary("promtool"), "test", "rules", str(test_file)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]


def names(finding: Finding, labels: dict[str, str]) -> bool:
    """Whether the finding is the alert instance the labels name: each label is the finding's own, or names its
    subject (its namespace, the pod, node or VM it is)."""
    subject = finding.subject
    by_subject = {"namespace": subject.namespace, "pod": subject.name if subject.kind == "Pod" else None,
                  "node": subject.name if subject.kind == "Node" else None,
                  "name": subject.name if subject.kind in ("VirtualMachine", "VirtualMachineInstance") else None}
    return all(finding.labels.get(key) == value or by_subject.get(key) == value for key, value in labels.items())


def verdicts(test: dict[str, Any], workdir: Path) -> list[tuple[str, str, list[dict[str, str]], list[Finding]]]:
    """(eval_time, alert, the alerts' labels promtool expects firing, virt-doctor's firing findings) for each check
    of one test."""
    interval = parse_duration(str(test.get("interval", "1m")))
    (workdir / "history.om").write_text(openmetrics(test["input_series"], interval))
    out = []
    with prometheus_from(workdir / "history.om", workdir) as url:
        client = PrometheusClient(url)
        try:
            for check in test["alert_rule_test"]:
                at = BASE + parse_duration(str(check["eval_time"]))
                report = run_scan(ScanRequest(at=at, prometheus=client, only=[check["alertname"]])).report
                firing = [f for f in report.findings if f.alert == check["alertname"] and f.state == "firing"]
                out.append((str(check["eval_time"]), check["alertname"],
                            [alert["exp_labels"] for alert in check["exp_alerts"]], firing))
        finally:
            client.close()
    return out


@pytest.mark.real
@pytest.mark.parametrize("path", replay_files(), ids=lambda p: p.stem)
def test_virt_doctor_agrees_through_a_real_prometheus(path: Path, tmp_path: Path) -> None:
    spec = yaml.safe_load(path.read_text())
    results = []
    for index, test in enumerate(spec["tests"]):
        workdir = tmp_path / f"test-{index}"
        workdir.mkdir()
        results += verdicts(test, workdir)
    # as many firing as Prometheus fires, and each of its alerts named by one of them (labels, so subjects, agree)
    wrong = [(t, alert, want, [(f.subject.ref(), f.labels) for f in got]) for t, alert, want, got in results
             if len(want) != len(got) or not all(any(names(f, labels) for f in got) for labels in want)]
    assert not wrong, [f"at {t} {alert}: Prometheus fires {want}, virt-doctor {got}" for t, alert, want, got in wrong]
    assert any(want for _, _, want, _ in results)  # the replay has firing checks to compare
