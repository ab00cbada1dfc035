"""`virt-doctor rules`: valid for promtool, and every metric alert unit-tested with `promtool test rules`."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from tests.prometheus.conftest import binary
from virt_doctor.catalog import load_catalog
from virt_doctor.cli.app import app

runner = CliRunner()
NS = {"namespace": "kubevirt"}


def rest(component: str, errors: str, ok: str) -> list[dict[str, str]]:
    pod = f'pod="{component}-5d8f7b6c9-x2x7k",namespace="kubevirt"'
    return [{"series": f'kubevirt_rest_client_requests_total{{{pod},code="500",verb="PUT",resource="vmis"}}',
             "values": errors},
            {"series": f'kubevirt_rest_client_requests_total{{{pod},code="200",verb="GET",resource="vmis"}}',
             "values": ok}]


# alert -> (input series that make it fire, labels the alert carries beyond the rule's,
#           minute at which its condition first holds: rates and increases need two samples)
CASES: dict[str, tuple[list[dict[str, str]], dict[str, str], int]] = {}
for prefix, component in (("VirtApi", "virt-api"), ("VirtController", "virt-controller"),
                          ("VirtHandler", "virt-handler"), ("VirtOperator", "virt-operator")):
    CASES[f"{prefix}RESTErrorsBurst"] = (rest(component, "0+100x40", "0+1x40"), NS, 1)
    CASES[f"{prefix}RESTErrorsHigh"] = (rest(component, "0+1x40", "0+10x40"), NS, 1)
def sample(series: str, values: str) -> dict[str, str]:
    """One input series of a promtool test, in its expanding notation ('0+60x40': 0, 60, 120, ...)."""
    return {"series": series, "values": values}


CONTAINER = {"namespace": "kubevirt", "pod": "virt-controller-5d8f7b6c9-x2x7k", "container": "virt-controller"}
LABELS = 'namespace="kubevirt",pod="virt-controller-5d8f7b6c9-x2x7k",container="virt-controller"'


def usage_and_request(usage_metric: str, resource: str, used: str, requested: str) -> list[dict[str, str]]:
    return [sample(f"{usage_metric}{{{LABELS}}}", used),
            sample(f'kube_pod_container_resource_requests{{{LABELS},resource="{resource}"}}', requested)]


LAUNCHER = 'namespace="vms",pod="virt-launcher-fedora-1-abcde",container="compute"'


def launcher_memory(working_set: str, rss: str) -> list[dict[str, str]]:
    return [sample(f'kube_pod_container_resource_requests{{{LAUNCHER},resource="memory"}}', "2147483648x40"),
            sample(f"container_memory_working_set_bytes{{{LAUNCHER}}}", working_set),
            sample(f"container_memory_rss{{{LAUNCHER}}}", rss)]


API = 'group="kubevirt.io",version="v1alpha3",resource="virtualmachines"'
SSP = 'namespace="kubevirt",pod="ssp-operator-7c9d8f-abcde"'
REJECTED = 'kubevirt_ssp_template_validator_rejected_total{namespace="kubevirt",pod="virt-template-validator-1"}'
RESTORED = f"kubevirt_ssp_common_templates_restored_total{{{SSP}}}"
OUT_OF_BAND = 'kubevirt_hco_out_of_band_modifications_total{component_name="kubevirt/kubevirt-kubevirt-hyperconverged"}'
HPP_SHARED = 'kubevirt_hpp_pool_path_shared_with_os{namespace="kubevirt",pod="hostpath-provisioner-csi-abcde"}'


def ssp_reconcile(succeeded: str) -> list[dict[str, str]]:
    return [sample(f"kubevirt_ssp_operator_reconcile_succeeded{{{SSP}}}", succeeded), sample(f"up{{{SSP}}}", "1x40")]


CASES["KubeVirtComponentExceedsRequestedCPU"] = (
    usage_and_request("container_cpu_usage_seconds_total", "cpu", "0+60x40", "0.01x40"), CONTAINER, 1)
CASES["KubeVirtComponentExceedsRequestedMemory"] = (
    usage_and_request("container_memory_working_set_bytes", "memory", "629145600x40", "340787200x40"), CONTAINER, 0)
CASES["KubevirtVmHighMemoryUsage"] = (
    launcher_memory("2130706432x40", "1073741824x40"), {"namespace": "vms", "pod": "virt-launcher-fedora-1-abcde"}, 0)
CASES["KubeVirtDeprecatedAPIRequested"] = (
    [sample(f"apiserver_requested_deprecated_apis{{{API}}}", "1x40"),
     sample(f'apiserver_request_total{{{API},verb="POST"}}', "0+2x40")],
    {"group": "kubevirt.io", "version": "v1alpha3", "resource": "virtualmachines"}, 1)
CASES["SSPFailingToReconcile"] = (ssp_reconcile("0x40"), NS, 0)
CASES["SSPHighRateRejectedVms"] = ([sample(REJECTED, "0+10x40")], NS, 1)
CASES["SSPCommonTemplatesModificationReverted"] = ([sample(RESTORED, "0 0 1+0x38")], NS, 2)
CASES["KubeVirtCRModified"] = (
    [sample(OUT_OF_BAND, "0 0 1+0x38")], {"component_name": "kubevirt/kubevirt-kubevirt-hyperconverged"}, 2)
CASES["HPPSharingPoolPathWithOS"] = (
    [sample(HPP_SHARED, "1x40")], {"namespace": "kubevirt", "pod": "hostpath-provisioner-csi-abcde"}, 0)

GUEST = 'namespace="vms",name="fedora-1",node="worker-1"'


def guest_cpu(load: str) -> list[dict[str, str]]:
    """A 2-vCPU guest at the given 1-minute load."""
    return [sample(f"kubevirt_vmi_guest_load_1m{{{GUEST}}}", load),
            *(sample(f'kubevirt_vmi_vcpu_seconds_total{{{GUEST},id="{i}",state="running"}}', "0+30x40")
              for i in range(2))]


CASES["GuestVCPUQueueHighWarning"] = (guest_cpu("15x40"), {"namespace": "vms", "name": "fedora-1"}, 0)
CASES["GuestVCPUQueueHighCritical"] = (guest_cpu("30x40"), {"namespace": "vms", "name": "fedora-1"}, 0)

# alert -> input series of a healthy cluster: the alert must stay silent
HEALTHY: dict[str, list[dict[str, str]]] = {
    alert: [s for s in series if 'code="200"' in s["series"]] for alert, (series, _, _) in CASES.items()
    if "RESTErrors" in alert}
HEALTHY["KubeVirtComponentExceedsRequestedCPU"] = usage_and_request(
    "container_cpu_usage_seconds_total", "cpu", "0+0.3x40", "0.01x40")
HEALTHY["KubeVirtComponentExceedsRequestedMemory"] = usage_and_request(
    "container_memory_working_set_bytes", "memory", "104857600x40", "340787200x40")
HEALTHY["KubevirtVmHighMemoryUsage"] = launcher_memory("1073741824x40", "966367641x40")
HEALTHY["KubeVirtDeprecatedAPIRequested"] = [
    sample('apiserver_request_total{group="kubevirt.io",version="v1",resource="virtualmachines",verb="POST"}',
           "0+2x40")]
HEALTHY["SSPFailingToReconcile"] = ssp_reconcile("1x40")
HEALTHY["SSPHighRateRejectedVms"] = [sample(REJECTED, "0x40")]
HEALTHY["KubeVirtCRModified"] = [sample(OUT_OF_BAND, "3x40")]
HEALTHY["HPPSharingPoolPathWithOS"] = [sample(HPP_SHARED, "0x40")]
HEALTHY["SSPCommonTemplatesModificationReverted"] = [sample(RESTORED, "0x40")]
HEALTHY["GuestVCPUQueueHighWarning"] = guest_cpu("11x40")  # a queue of 9: under 10
HEALTHY["GuestVCPUQueueHighCritical"] = guest_cpu("15x40")  # a queue of 13: warning, not critical


def export(fmt: str) -> Any:
    result = runner.invoke(app, ["rules", "--format", fmt])
    assert result.exit_code == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_every_metric_alert_is_exported_with_upstream_labels() -> None:
    rules = export("prometheus")["groups"][0]["rules"]
    assert {r["alert"] for r in rules} == set(CASES) == set(HEALTHY)
    catalog = load_catalog()
    for rule in rules:
        entry = catalog.get(rule["alert"])
        assert rule["labels"] == {"severity": entry.severity, "operator_health_impact": entry.health_impact,
                                  "kubernetes_operator_part_of": "kubevirt",
                                  "kubernetes_operator_component": entry.component}
        assert rule["annotations"]["runbook_url"].endswith(f"/runbooks/{rule['alert']}")
        assert rule.get("for", "0") == entry.for_ or entry.for_ in ("0", "0m")
    kube = export("prometheusrule")
    assert kube["apiVersion"] == "monitoring.coreos.com/v1" and kube["kind"] == "PrometheusRule"
    assert kube["spec"]["groups"] == export("prometheus")["groups"]


def test_promtool_checks_and_unit_tests_the_rules(tmp_path: Path) -> None:
    exported = export("prometheus")
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_text(yaml.safe_dump(exported))
    check = subprocess.run([binary("promtool"), "check", "rules", str(rule_file)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"SUCCESS: {len(CASES)} rules found" in check.stdout

    by_alert = {r["alert"]: r for r in exported["groups"][0]["rules"]}
    tests = []
    for alert, (series, labels, needs) in sorted(CASES.items()):
        rule = by_alert[alert]
        hold = int(str(rule.get("for", "0m")).rstrip("m"))
        expected = [{"exp_labels": {**rule["labels"], **labels}, "exp_annotations": rule["annotations"]}]
        checks = [{"eval_time": f"{needs + hold + 1}m", "alertname": alert, "exp_alerts": expected}]
        if hold:  # one minute before `for` has passed: pending, not firing
            checks.append({"eval_time": f"{needs + hold - 1}m", "alertname": alert, "exp_alerts": []})
        tests.append({"interval": "1m", "input_series": series, "alert_rule_test": checks})
        tests.append({"interval": "1m", "input_series": HEALTHY[alert],
                      "alert_rule_test": [{"eval_time": "30m", "alertname": alert, "exp_alerts": []}]})
    test_file = tmp_path / "tests.yaml"
    test_file.write_text(yaml.safe_dump({"rule_files": [str(rule_file)], "evaluation_interval": "1m",
                                         "tests": tests}))
    run = subprocess.run([binary("promtool"), "test", "rules", str(test_file)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "SUCCESS" in run.stdout
