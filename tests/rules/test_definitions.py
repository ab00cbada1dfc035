"""Version-aware evaluation: a cluster's own PrometheusRule decides an alert's threshold, `for` and severity; an
alert the cluster no longer ships is not evaluated; the report names the definition and any drift."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.conftest import findings_for, scan
from tests.rules.prometheusrules import alerting, prometheus_rule
from virt_doctor.catalog.releases import release_key
from virt_doctor.report.model import Coverage, Report, report_from_dict, report_to_dict
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import write_dump
from virt_doctor.snapshot.alert_rules import alert_rules_in, threshold_in

STUCK = "VirtLauncherPodsStuckFailed"
UPSTREAM_STUCK = "sum(kube_pod_status_phase{phase='Failed', pod=~'virt-launcher-.*'}) >= 200"


def launchers_failed(tmp_path: Path, keep: int = 210, age: timedelta = timedelta(minutes=30),
                     *rules: dict[str, Any]) -> tuple[Report, Cluster]:
    """A cluster with `keep` Failed virt-launcher pods (of one restarting VM), and the given PrometheusRules."""
    cluster = simulate(nodes=3, vms=8, faults=["launchers-failed-restart-loop"], seed=5, fault_age=age)
    failed = [o for o in cluster.extra if o.get("kind") == "Pod" and o["status"].get("phase") == "Failed"]
    for pod in failed[keep:]:
        cluster.extra.remove(pod)
    cluster.extra += list(rules)
    return scan(write_dump(cluster, tmp_path / "dump", also_collect=frozenset({"Pod"}))), cluster


def coverage(report: Report, alert: str) -> Coverage:
    return next(c for c in report.coverage if c.alert == alert)


def test_the_clusters_higher_threshold_silences_what_virt_doctors_would_fire(tmp_path: Path) -> None:
    rule = prometheus_rule("prometheus-kubevirt-rules", alerting(STUCK, UPSTREAM_STUCK.replace("200", "250"),
                                                                  "critical", "10m"))
    report, _ = launchers_failed(tmp_path, 210, timedelta(minutes=30), rule)
    assert findings_for(report, STUCK) == []  # 210 Failed pods: over 200, under the cluster's 250
    line = coverage(report, STUCK)
    # a must-gather lists pods in some namespaces: under the cluster's 250, more may exist elsewhere
    assert line.status == "skipped" and "the cluster-wide count cannot be told" in line.reason
    assert line.definition == "PrometheusRule openshift-cnv/prometheus-kubevirt-rules"
    assert line.drift == ("threshold >= 200 here, 250 in the cluster",)


def test_the_clusters_lower_threshold_and_its_for_and_severity_are_the_ones_evaluated(tmp_path: Path) -> None:
    rule = prometheus_rule("prometheus-kubevirt-rules", alerting(STUCK, UPSTREAM_STUCK.replace("200", "100"),
                                                                  "warning", "1h"))
    report, _ = launchers_failed(tmp_path, 120, timedelta(minutes=30), rule)
    finding = findings_for(report, STUCK)[0]
    assert finding.cause.id == "vm-restart-loop"
    assert finding.severity == "warning"  # the cluster's severity, not the catalog's critical
    assert finding.state == "pending"  # 30 minutes in: the cluster's `for` is an hour (the catalog's is 10m)
    assert any("threshold 100" in e.note for e in finding.evidence)
    assert set(coverage(report, STUCK).drift) == {"threshold >= 200 here, 100 in the cluster",
                                                  "severity critical here, warning in the cluster"}


def test_without_the_clusters_rule_virt_doctors_threshold_holds(tmp_path: Path) -> None:
    report, _ = launchers_failed(tmp_path, 120)
    assert findings_for(report, STUCK) == []  # 120 < 200
    line = coverage(report, STUCK)
    assert line.definition == "virt-doctor's definition" and line.drift == ()


def test_an_alert_the_clusters_release_removed_is_not_evaluated(simulated) -> None:  # type: ignore[no-untyped-def]
    """The simulated cluster runs KubeVirt v1.5.2: the alerts removed in v1.3 and v1.5 are not its alerts."""
    path, cluster = simulated()
    report = scan(path)
    line = coverage(report, "KubevirtVmHighMemoryUsage")
    assert line.status == "skipped"
    assert line.reason == "not shipped by this cluster: removed in kubevirt v1.5.0, the cluster runs v1.5.2"
    assert report.source["versions"]["kubevirt"] == "v1.5.2"
    old = simulate(nodes=3, vms=4, kubevirt_version="v1.2.2")
    again = scan(write_dump(old, path.parent / "old"))
    assert "not shipped" not in coverage(again, "KubevirtVmHighMemoryUsage").reason  # v1.2 still ships it


def test_a_retired_alert_absent_from_the_clusters_rules_is_not_evaluated_and_present_is(tmp_path: Path) -> None:
    """SingleStackIPv6Unsupported (HCO, removed in 1.17) on an HCO whose version says nothing: its rules decide."""
    def report_with(*rules: dict[str, Any]) -> Report:
        cluster = simulate(nodes=3, vms=4, faults=["ipv6-single-stack"], seed=2)
        cluster.extra += list(rules)
        return scan(write_dump(cluster, tmp_path / f"dump-{len(rules)}-{len(str(rules))}"))

    hco_rules = prometheus_rule("kubevirt-hyperconverged-prometheus-rule",
                                alerting("KubeVirtCRModified", "sum by(component_name) (x) > 0", "warning"))
    without = report_with(hco_rules)
    assert coverage(without, "SingleStackIPv6Unsupported").status == "skipped"
    assert "its hyperconverged-cluster-operator rules (PrometheusRule openshift-cnv/kubevirt-hyperconverged-" \
           "prometheus-rule) do not define it" in coverage(without, "SingleStackIPv6Unsupported").reason
    assert findings_for(without, "SingleStackIPv6Unsupported") == []
    shipping = prometheus_rule("kubevirt-hyperconverged-prometheus-rule",
                               alerting("KubeVirtCRModified", "sum by(component_name) (x) > 0", "warning"),
                               alerting("SingleStackIPv6Unsupported", "kubevirt_hco_single_stack_ipv6 == 1", "critical"))
    shipped = report_with(shipping)
    assert coverage(shipped, "SingleStackIPv6Unsupported").status == "evaluated"
    assert findings_for(shipped, "SingleStackIPv6Unsupported")


def test_the_report_keeps_definition_and_drift_through_json() -> None:
    report = Report(evaluated_at="2026-11-20T09:14:03Z", source={"type": "dump", "location": "x"},
                    coverage=(Coverage("VirtLauncherPodsStuckFailed", "evaluated", "", "PrometheusRule a/b",
                                       ("threshold >= 200 here, 100 in the cluster",)),), findings=())
    data = report_to_dict(report)
    assert data["coverage"][0]["definition"] == "PrometheusRule a/b"
    assert report_from_dict(data).coverage == report.coverage


def test_cluster_rules_thresholds_and_versions_are_read_as_written() -> None:
    rules = alert_rules_in([prometheus_rule("r", alerting(STUCK, UPSTREAM_STUCK, "critical", "10m"),
                                            {"record": "x:y", "expr": "sum(z)"}, {"alert": "Broken"})])
    assert list(rules) == [STUCK]
    assert rules[STUCK][0].for_ == "10m" and rules[STUCK][0].where == "PrometheusRule openshift-cnv/r"
    assert threshold_in(UPSTREAM_STUCK, ">=") == 200
    assert threshold_in('label_replace(sum by (vmi) (x) >= 12, "vm", "$1", "vmi", "(.+)")', ">=") == 12
    assert threshold_in("cluster:kubevirt_virt_api_ready:sum < 0.75", ">=") is None
    assert release_key("v1.5.2") == (1, 5, 2) and release_key("1.16.0") == (1, 16, 0)
    assert release_key("after v1.16 (main)") is None


def test_the_text_report_names_the_drift(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from virt_doctor.cli.app import app

    cluster = simulate(nodes=3, vms=8, faults=["launchers-failed-restart-loop"], seed=5)
    cluster.extra.append(prometheus_rule("prometheus-kubevirt-rules",
                                         alerting(STUCK, UPSTREAM_STUCK.replace("200", "150"), "critical", "10m")))
    path = write_dump(cluster, tmp_path / "dump", also_collect=frozenset({"Pod"}))
    result = CliRunner().invoke(app, ["scan", "--from", str(path)])
    assert "The cluster defines these alerts differently" in result.stdout
    assert "VirtLauncherPodsStuckFailed (PrometheusRule openshift-cnv/prometheus-kubevirt-rules): threshold >= 200 " \
           "here, 150 in the cluster" in result.stdout
