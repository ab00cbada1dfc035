"""With Prometheus, every catalog alert is cross-checked against the alerts Prometheus itself has."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.prometheus.conftest import prometheus_from
from virt_doctor.catalog import load_catalog
from virt_doctor.cli.app import app
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import write_dump

runner = CliRunner()


@pytest.mark.real
def test_crosscheck_agreement_and_missed_alerts(tmp_path: Path) -> None:
    cluster = simulate(nodes=3, vms=8, seed=5, faults=["rest-errors:virt-api", "handler-crashloop",
                                                       "prometheus-only-alert:LowKVMNodesCount"])
    dump = write_dump(cluster, tmp_path / "dump", metrics=True)
    with prometheus_from(dump / "metrics.om", tmp_path) as url:
        result = runner.invoke(app, ["scan", "--from", str(dump), "--prometheus", url, "-o", "json"])
        only = runner.invoke(app, ["scan", "--from", str(dump), "--prometheus", url, "--alerts-only", "-o", "json"])
        table = runner.invoke(app, ["scan", "--from", str(dump), "--prometheus", url])
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    checks = {c["alert"]: c for c in report["crosscheck"]}
    assert len(checks) == len(load_catalog())
    assert checks["VirtApiRESTErrorsBurst"] == {"alert": "VirtApiRESTErrorsBurst", "virt_doctor": "firing",
                                                "prometheus": "firing", "agree": True}
    assert checks["OrphanedVirtualMachineInstances"]["agree"] is True
    assert checks["LowKVMNodesCount"] == {"alert": "LowKVMNodesCount", "virt_doctor": "none",
                                          "prometheus": "firing", "agree": False}
    assert checks["VirtAPIDown"] == {"alert": "VirtAPIDown", "virt_doctor": "none", "prometheus": "none",
                                     "agree": True}
    missed = [f for f in report["findings"] if f["origin"] == "prometheus"]
    assert [(f["alert"], f["cause"]["id"]) for f in missed] == [("LowKVMNodesCount", "unknown")]
    assert missed[0]["remediation"] and "Prometheus reports LowKVMNodesCount firing" in missed[0]["summary"]

    narrowed = json.loads(only.stdout)
    firing = {c["alert"] for c in narrowed["crosscheck"] if c["prometheus"] == "firing"}
    assert {f["alert"] for f in narrowed["findings"]} <= firing
    assert "VirtHandlerDaemonSetRolloutFailing" not in {f["alert"] for f in narrowed["findings"]}
    assert "Prometheus cross-check" in table.stdout and "LowKVMNodesCount: virt-doctor none, Prometheus firing" \
        in table.stdout


def test_alerts_only_needs_prometheus(tmp_path: Path) -> None:
    result = runner.invoke(app, ["scan", "--from", "/nonexistent", "--alerts-only"])
    assert result.exit_code == 2 and "--alerts-only needs --prometheus URL" in result.stderr
