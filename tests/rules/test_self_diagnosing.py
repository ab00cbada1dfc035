"""Self-diagnosing alerts: a Virt*Down alert that names its pod, node and waiting reason is diagnosed from that pod,
past the reason (why the image cannot be pulled, why the container cannot start); through the CLI and the
webhook."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import SimulateFn, findings_for, scan
from virt_doctor.cli.app import app
from virt_doctor.rules.diagnose.reasons import exit_meaning, image_pull_why, missing_config
from virt_doctor.scan import ScanRequest, run_scan
from virt_doctor.serve.view import ClusterView

runner = CliRunner()


def image_pull_case(simulated: SimulateFn) -> tuple[Path, list[str], str]:
    """virt-api rolled out to an image that does not exist: every virt-api pod in ImagePullBackOff."""
    path, cluster = simulated(["component-image-pull:virt-api"])
    pods = sorted(p["metadata"]["name"] for p in cluster.component_pods["virt-api"])
    node = next(p["spec"]["nodeName"] for p in cluster.component_pods["virt-api"] if p["metadata"]["name"] == pods[-1])
    return path, pods, node


def alert_json(tmp_path: Path, labels: dict[str, str]) -> Path:
    where = tmp_path / "alert.json"
    where.write_text(json.dumps({"labels": labels, "annotations": {}, "status": "firing"}))
    return where


def test_the_alerts_pod_is_where_the_diagnosis_starts_and_the_reason_is_explained(simulated: SimulateFn,
                                                                                   tmp_path: Path) -> None:
    path, pods, node = image_pull_case(simulated)
    default = findings_for(scan(path), "VirtAPIDown")[0]
    assert default.summary.split(":")[1].strip() == pods[0]  # without labels: the first failing pod
    labels = {"alertname": "VirtAPIDown", "namespace": "openshift-cnv", "pod": pods[-1], "node": node,
              "reason": "ImagePullBackOff", "severity": "critical"}
    result = runner.invoke(app, ["diagnose", "--alert-json", str(alert_json(tmp_path, labels)), "--from", str(path),
                                 "-o", "json"])
    assert result.exit_code == 1, result.stderr
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["cause"]["id"] == "image-pull-failure"
    assert f": {pods[-1]}: container virt-api cannot pull image" in finding["summary"]
    assert "the registry has no such image or tag" in finding["summary"]  # past the reason: why it cannot be pulled
    said = finding["evidence"][0]
    assert said["object"] == "the alert's labels"
    assert said["value"] == f"pod={pods[-1]}, node={node}, reason=ImagePullBackOff"



def test_a_reason_the_pod_no_longer_shows_is_said(simulated: SimulateFn, tmp_path: Path) -> None:
    path, pods, node = image_pull_case(simulated)
    labels = {"alertname": "VirtAPIDown", "pod": pods[0], "node": node, "reason": "CrashLoopBackOff"}
    result = runner.invoke(app, ["diagnose", "--alert-json", str(alert_json(tmp_path, labels)), "--from", str(path),
                                 "-o", "json"])
    assert result.exit_code == 1, result.stderr  # the condition holds
    finding = json.loads(result.stdout)["findings"][0]
    assert "the alert said CrashLoopBackOff, the pod now shows ImagePullBackOff" in finding["summary"]


def test_a_pod_the_cluster_no_longer_has_falls_back_to_the_component(simulated: SimulateFn, tmp_path: Path) -> None:
    path, pods, _ = image_pull_case(simulated)
    labels = {"alertname": "VirtAPIDown", "pod": "virt-api-gone-12345", "reason": "ImagePullBackOff"}
    result = runner.invoke(app, ["diagnose", "--alert-json", str(alert_json(tmp_path, labels)), "--from", str(path),
                                 "-o", "json"])
    assert result.exit_code == 1, result.stderr  # the condition holds
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["cause"]["id"] == "image-pull-failure" and pods[0] in finding["summary"]


def test_the_webhook_starts_from_the_alerts_labels(simulated: SimulateFn) -> None:
    path, pods, node = image_pull_case(simulated)
    view = ClusterView(lambda: run_scan(ScanRequest(source=path)))
    assert view.refresh() is not None
    plain = view.verdict("VirtAPIDown", {"alertname": "VirtAPIDown"})
    labelled = view.verdict("VirtAPIDown", {"alertname": "VirtAPIDown", "pod": pods[-1], "node": node,
                                            "reason": "ImagePullBackOff"})
    assert plain.finding is not None and labelled.finding is not None
    assert pods[0] in plain.finding["summary"] and pods[-1] in labelled.finding["summary"]
    assert labelled.finding["id"] == plain.finding["id"]  # the same alert instance, diagnosed from its pod


def test_reasons_are_read_from_the_kubelets_words() -> None:
    assert image_pull_why(['Failed to pull image "x": manifest unknown']) == "the registry has no such image or tag"
    assert "pull secret" in image_pull_why(["unauthorized: authentication required"])
    assert "cannot reach the registry" in image_pull_why(["dial tcp: lookup quay.io: no such host"])
    assert "certificate" in image_pull_why(["x509: certificate signed by unknown authority"])
    assert image_pull_why(["Back-off pulling image"]) == ""
    assert missing_config('secret "virt-api-certs" not found') == ("Secret", "virt-api-certs")
    assert missing_config('configmap "kubevirt-ca" not found') == ("ConfigMap", "kubevirt-ca")
    assert missing_config("something else") is None
    assert "out of memory" in exit_meaning(137) and exit_meaning(42) == ""


def test_virt_handler_down_starts_from_the_handler_the_alert_names(simulated: SimulateFn, tmp_path: Path) -> None:
    path, cluster = simulated(["handler-down"])
    pods = sorted(cluster.handler_pods.items(), key=lambda item: item[1]["metadata"]["name"])
    node, pod = pods[-1]
    labels = {"alertname": "VirtHandlerDown", "pod": pod["metadata"]["name"], "node": node,
              "reason": "ImagePullBackOff"}
    result = runner.invoke(app, ["diagnose", "--alert-json", str(alert_json(tmp_path, labels)), "--from", str(path),
                                 "-o", "json"])
    assert result.exit_code == 1, result.stderr  # the condition holds
    finding = json.loads(result.stdout)["findings"][0]
    assert f"e.g. {pod['metadata']['name']}: container virt-handler cannot pull image" in finding["summary"]
    assert "the registry has no such image or tag" in finding["summary"]
    assert finding["evidence"][0]["object"] == "the alert's labels"
