"""A two-image must-gather whose default OpenShift image holds the cluster's Prometheus at collection: its
`monitoring/prometheus/rules.json` is what a real Prometheus answered on /api/v1/rules after evaluating the
exported rules over the simulated history (Debian's Prometheus, on this machine's clock)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from tests.prometheus.conftest import prometheus_from
from virt_doctor.catalog import load_catalog
from virt_doctor.cli.app import app
from virt_doctor.scan import ScanRequest, run_scan
from virt_doctor.simulator.metrics import write_metrics
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import OPENSHIFT_IMAGE_DIR, OpenShiftImage, write_dump

pytestmark = pytest.mark.real  # every test here asks a real Prometheus

runner = CliRunner()
FAULTS = ["guest-disk-full", "kubevirt-cr-edited", "nic-down", "node-cpu-vms", "vm-invalid-spec",
          "component-image-pull:virt-api"]
# rules the cluster defines beyond the exported ones: OpenShift's Watchdog (outside the catalog, always firing) and
# a LowKVMNodesCount whose expression differs from upstream (it fires where the objects say it should not)
EXTRA_RULES = {"name": "cluster-own", "rules": [
    {"alert": "Watchdog", "expr": "vector(1)", "labels": {"severity": "none"}},
    {"alert": "LowKVMNodesCount", "expr": "vector(1) > 0", "labels": {"severity": "warning"}}]}


def rules_json(tmp_path: Path) -> tuple[Path, bytes, bytes]:
    """The cluster simulated up to now, its history in a real Prometheus with the exported rules (and the cluster's
    own), and what that Prometheus answered on /api/v1/rules once it had evaluated them; the dump written with it."""
    now = datetime.now(UTC).replace(microsecond=0)
    cluster = simulate(nodes=3, vms=8, faults=FAULTS, seed=3, at=now - timedelta(seconds=5),
                       fault_age=timedelta(minutes=40), kubevirt_version="v1.2.2")
    history = write_metrics(cluster, tmp_path / "metrics.om")
    exported = yaml.safe_load(runner.invoke(app, ["rules", "--format", "prometheus"]).stdout)
    # and VirtAPIDown as a self-diagnosing rule would raise it: naming the pod, its node and its waiting reason
    pod = max(cluster.component_pods["virt-api"], key=lambda p: p["metadata"]["name"])
    named = "vector(1)"
    for label, value in (("pod", pod["metadata"]["name"]), ("node", pod["spec"]["nodeName"]),
                         ("reason", "ImagePullBackOff"), ("namespace", "openshift-cnv")):
        named = f'label_replace({named}, "{label}", "{value}", "", "")'
    down = {"alert": "VirtAPIDown", "expr": named, "labels": {"severity": "critical"}}
    exported["groups"].append({**EXTRA_RULES, "rules": [*EXTRA_RULES["rules"], down]})
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_text(yaml.safe_dump(exported))
    with prometheus_from(history, tmp_path, rule_file) as url:
        body = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            body = httpx.get(f"{url}/api/v1/rules").content
            alerts = [a for g in json.loads(body)["data"]["groups"] for r in g["rules"] for a in r.get("alerts", [])]
            if {a["labels"]["alertname"] for a in alerts} >= {"Watchdog", "GuestFilesystemAlmostOutOfSpace",
                                                               "NodeNetworkInterfaceDown"}:
                break
            time.sleep(0.5)
        alerts_api = httpx.get(f"{url}/api/v1/alerts").content
    collected_at = datetime.now(UTC)
    dump = write_dump(cluster, tmp_path / "dump", openshift=OpenShiftImage("4.18.3", body))
    # the must-gather's `timestamp` is when collection ran: after Prometheus answered
    (dump / "timestamp").write_text(f"{collected_at:%Y-%m-%d %H:%M:%S}.000 +0000 UTC m=+0.061\n")
    return dump, body, alerts_api


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], bytes]:
    dump, body, alerts_api = rules_json(tmp_path_factory.mktemp("collected"))
    return dump, json.loads(body), alerts_api


def their_instances(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for g in answer["data"]["groups"] for r in g["rules"] for a in r.get("alerts", [])]


def test_metric_alerts_are_answered_by_the_clusters_prometheus_at_collection(
        collected: tuple[Path, dict[str, Any], bytes]) -> None:
    dump, answer, _ = collected
    assert (dump / OPENSHIFT_IMAGE_DIR / "monitoring" / "prometheus" / "rules.json").is_file()
    report = run_scan(ScanRequest(source=dump)).report
    answered = {c.alert for c in report.coverage if "by the cluster's Prometheus at collection" in c.reason}
    assert answered >= {"NodeNetworkInterfaceDown", "GuestFilesystemAlmostOutOfSpace", "HighCPUWorkload"}
    assert all(load_catalog().get(a).source == "metrics" for a in answered)
    theirs = [a for a in their_instances(answer) if a["labels"]["alertname"] in answered]
    assert {a["state"] for a in theirs} == {"pending", "firing"}  # a real Prometheus just started: both states
    ours = [f for f in report.findings if f.origin == "prometheus-at-collection"]
    # one finding per instance Prometheus had, with its state, activeAt and labels
    for alert in theirs:
        labels = {k: v for k, v in alert["labels"].items() if k != "alertname"}
        match = [f for f in ours if f.alert == alert["labels"]["alertname"] and f.labels == labels]
        assert len(match) == 1, (alert, [(f.alert, f.labels) for f in ours])
        finding = match[0]
        assert finding.state == alert["state"]
        assert finding.since == alert["activeAt"][:19] + "Z"
        assert finding.severity == alert["labels"]["severity"]
        assert finding.evidence[0].object.endswith(f"{OPENSHIFT_IMAGE_DIR}/monitoring/prometheus/rules.json)")
    nic = next(f for f in ours if f.alert == "NodeNetworkInterfaceDown")
    assert nic.state == "pending"  # its `for` is 5m: Prometheus had only just seen it
    # node-exporter's `instance` names the node: the subject, its Ready condition, and the runbook's <node>
    assert nic.subject.kind == "Node" and nic.labels["instance"] == f"{nic.subject.name}:9100"
    assert any(e.path == "status.conditions[Ready].status" and e.value == "True" for e in nic.evidence)
    assert all("<node>" not in step.command for step in nic.remediation)
    full = next(f for f in ours if f.alert == "GuestFilesystemAlmostOutOfSpace" and f.severity == "critical")
    assert full.state == "firing"  # the critical level has no `for`
    # the labels name the VM: its status is in the evidence, and the runbook's commands name it
    assert full.subject.kind == "VirtualMachine" and full.subject.name == full.labels["name"]
    assert any(e.path == "status.printableStatus" for e in full.evidence)
    # evaluated (by the cluster's Prometheus) rather than "needs Prometheus": inactive ones too
    cover = {c.alert: c for c in report.coverage}
    assert cover["NodeNetworkInterfaceDown"].status == "evaluated"
    assert "by the cluster's Prometheus at collection" in cover["NodeNetworkInterfaceDown"].reason
    assert cover["KubeVirtVMGuestMemoryPressure"].status == "evaluated"
    assert cover["KubeVirtVMGuestMemoryPressure"].reason.endswith(": inactive")
    # the alerts outside the catalog it had firing, by name and count
    assert report.source["prometheus_at_collection"]["firing_outside_catalog"] == {"Watchdog": 1}


def test_an_object_alert_is_compared_with_what_prometheus_had(collected: tuple[Path, dict[str, Any], bytes]) -> None:
    dump, _, _ = collected
    result = runner.invoke(app, ["scan", "--from", str(dump), "-o", "json"])
    report = json.loads(result.stdout)
    checks = {c["alert"]: c for c in report["crosscheck"]}
    # the cluster's own LowKVMNodesCount fires where virt-doctor's check of the nodes does not: shown, and a finding
    assert checks["LowKVMNodesCount"] == {"alert": "LowKVMNodesCount", "virt_doctor": "none", "prometheus": "firing",
                                          "agree": False}
    missed = [f for f in report["findings"] if f["alert"] == "LowKVMNodesCount"]
    assert [(f["origin"], f["cause"]["id"]) for f in missed] == [("prometheus-at-collection", "unknown")]
    assert "virt-doctor's own check does not see the condition" in missed[0]["summary"]
    # its rule there is the cluster's definition in force, with how it differs
    cover = {c["alert"]: c for c in report["coverage"]}
    assert "the cluster's Prometheus" in cover["LowKVMNodesCount"]["definition"]
    # an object alert the cluster's Prometheus had no rule for is not compared; virt-doctor's finding stands
    assert "VirtualMachineStuckInUnhealthyState" not in checks
    assert [f["origin"] for f in report["findings"] if f["alert"] == "VirtualMachineStuckInUnhealthyState"] == \
        ["virt-doctor"]
    # one both evaluate and both see firing agrees
    assert checks["KubeVirtCRModified"] == {"alert": "KubeVirtCRModified", "virt_doctor": "firing",
                                            "prometheus": "firing", "agree": True}
    table = runner.invoke(app, ["scan", "--from", str(dump)])
    assert "LowKVMNodesCount: virt-doctor none, Prometheus firing" in table.stdout


def test_the_old_alerts_json_layout_is_read_the_same(collected: tuple[Path, dict[str, Any], bytes],
                                                      tmp_path: Path) -> None:
    """From January to July 2021 gather_monitoring saved /api/v1/rules?type=alert as monitoring/alerts.json."""
    import shutil
    dump, answer, _ = collected
    old = tmp_path / "old"
    shutil.copytree(dump, old)
    image = old / OPENSHIFT_IMAGE_DIR / "monitoring"
    (image / "prometheus" / "rules.json").rename(image / "alerts.json")
    new = {(f.alert, tuple(sorted(f.labels.items())), f.state) for f in run_scan(ScanRequest(source=dump)).report.findings}
    again = {(f.alert, tuple(sorted(f.labels.items())), f.state) for f in run_scan(ScanRequest(source=old)).report.findings}
    assert new == again and any(state == "firing" for _, _, state in new)


def test_an_alerts_api_answer_gives_the_alerts_but_not_the_inactive_verdicts(
        collected: tuple[Path, dict[str, Any], bytes], tmp_path: Path) -> None:
    """/api/v1/alerts (data.alerts) names what was pending or firing, not which rules were quiet."""
    import shutil
    dump, _, alerts_api = collected
    other = tmp_path / "alerts-api"
    shutil.copytree(dump, other)
    image = other / OPENSHIFT_IMAGE_DIR / "monitoring"
    (image / "prometheus" / "rules.json").unlink()
    (image / "alerts.json").write_bytes(alerts_api)
    report = run_scan(ScanRequest(source=other)).report
    cover = {c.alert: c for c in report.coverage}
    assert cover["NodeNetworkInterfaceDown"].status == "evaluated"
    assert cover["KubeVirtVMGuestMemoryPressure"].reason == "needs Prometheus (--prometheus)"
    assert {f.alert for f in report.findings if f.origin == "prometheus-at-collection"} >= {
        "NodeNetworkInterfaceDown", "GuestFilesystemAlmostOutOfSpace", "HighCPUWorkload", "LowKVMNodesCount"}


def test_a_self_diagnosing_alert_at_collection_starts_the_diagnosis_at_its_pod(
        collected: tuple[Path, dict[str, Any], bytes]) -> None:
    """VirtAPIDown as the cluster's Prometheus had it names a pod: the diagnosis starts there, as --alert-json's."""
    dump, answer, _ = collected
    down = next(a for a in their_instances(answer) if a["labels"]["alertname"] == "VirtAPIDown")
    pods = sorted(p.name for p in (dump / "quay-io-kubevirt-must-gather-sha256-5b1f0e8c2d" / "namespaces" /
                                   "openshift-cnv" / "pods").iterdir() if p.name.startswith("virt-api-"))
    assert down["labels"]["pod"] == pods[-1] != pods[0]  # not the pod a diagnosis without labels starts from
    report = run_scan(ScanRequest(source=dump)).report
    finding = next(f for f in report.findings if f.alert == "VirtAPIDown")
    assert finding.origin == "virt-doctor" and finding.cause.id == "image-pull-failure"
    assert f": {pods[-1]}: container virt-api cannot pull image" in finding.summary
    assert finding.evidence[0].object == "the alert's labels"
