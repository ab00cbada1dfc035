"""`virt-doctor rules`: valid for promtool, and every metric alert unit-tested with `promtool test rules`."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import yaml
from typer.testing import CliRunner

from tests.prometheus.conftest import binary
from tests.prometheus.exported import export
from virt_doctor.catalog import load_catalog
from virt_doctor.timeutil import parse_duration

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

FS = 'namespace="vms",name="fedora-1",disk_name="vda4",mount_point="/",file_system_type="xfs"'
FS_LABELS = {"namespace": "vms", "name": "fedora-1", "disk_name": "vda4", "mount_point": "/",
             "file_system_type": "xfs", "vm": "fedora-1"}


def guest_fs(used: str) -> list[dict[str, str]]:
    """A 100-byte guest file system with `used` bytes used."""
    return [sample(f"kubevirt_vmi_filesystem_capacity_bytes{{{FS}}}", "100x40"),
            sample(f"kubevirt_vmi_filesystem_used_bytes{{{FS}}}", used),
            sample('kubevirt_vmi_filesystem_used_bytes{namespace="vms",name="fedora-1",disk_name="sr0",'
                   'mount_point="/mnt/iso",file_system_type="iso9660"}', "100x40")]  # an ISO is always full


MEM = 'namespace="vms",name="virt-launcher-fedora-1-abcde"'
MEM_LABELS = {"namespace": "vms", "name": "virt-launcher-fedora-1-abcde", "vm": "fedora-1"}


def guest_memory(usable: str, swap: str, faults: str) -> list[dict[str, str]]:
    """A guest with 1e9 bytes, `usable` of them usable, swap and major-fault counters; its VMI running."""
    return [sample(f"kubevirt_vmi_memory_available_bytes{{{MEM}}}", "1000000000x40"),
            sample(f"kubevirt_vmi_memory_usable_bytes{{{MEM}}}", usable),
            sample(f"kubevirt_vmi_memory_swap_in_traffic_bytes{{{MEM}}}", swap),
            sample(f"kubevirt_vmi_memory_swap_out_traffic_bytes{{{MEM}}}", swap),
            sample(f"kubevirt_vmi_memory_pgmajfault_total{{{MEM}}}", faults),
            sample('kubevirt_vmi_info{namespace="vms",name="fedora-1",phase="running",'
                   'vmi_pod="virt-launcher-fedora-1-abcde"}', "1x40")]


def panics(values: str, vm: str = "fedora-1") -> dict[str, str]:
    return sample(f'kubevirt_vmi_guest_os_panic_total{{namespace="vms",name="{vm}",type="pvpanic"}}', values)


WORKER = 'instance="worker-1:9100"'
NIC = f'{WORKER},device="ens4f1"'
PVC = 'job="kubelet",metrics_path="/metrics",namespace="vms",persistentvolumeclaim="data"'


def nic(flags: str) -> list[dict[str, str]]:
    return [sample(f"node_network_flags{{{NIC}}}", flags), sample(f"node_network_up{{{NIC}}}", "1x40"),
            sample(f"node_network_carrier{{{NIC}}}", "1x40")]


def volume(available: str) -> list[dict[str, str]]:
    """A 30000-byte volume, 27000 used, with `available` bytes free over time."""
    return [sample(f"kubelet_volume_stats_capacity_bytes{{{PVC}}}", "30000x40"),
            sample(f"kubelet_volume_stats_available_bytes{{{PVC}}}", available),
            sample(f"kubelet_volume_stats_used_bytes{{{PVC}}}", "27000x40")]


def vm_machine(machine: str) -> list[dict[str, str]]:
    return [sample(f'kubevirt_vm_info{{namespace="vms",name="fedora-1",machine_type="{machine}",'
                   'status_group="running"}', "1x40"),
            sample('kubevirt_node_deprecated_machine_types{machine_type="pc-q35-rhel8.6.0",node="worker-1"}', "1x40")]


CASES["GuestFilesystemAlmostOutOfSpace"] = (guest_fs("90x40"), FS_LABELS, 0)
CASES["KubeVirtVMGuestMemoryPressure"] = (
    guest_memory("40000000x40", "0+100000000x40", "0x40"), MEM_LABELS, 1)
CASES["KubeVirtVMGuestMemoryAvailableLow"] = (guest_memory("20000000x40", "0x40", "0x40"), MEM_LABELS, 1)
CASES["VMNonRecoverableOSPanic"] = ([panics("0 8+0x40")], {"namespace": "vms", "name": "fedora-1", "vm": "fedora-1"}, 1)
CASES["ClusterVMPanicDetected"] = ([panics("0 1+0x40"), panics("0 1+0x40", "rhel-2")], {}, 1)
CASES["HighCPUWorkload"] = (
    [sample(f"instance:node_cpu_utilisation:rate1m{{{WORKER}}}", "0.95x40")], {"instance": "worker-1:9100"}, 0)
CASES["HighNodeCPUFrequency"] = (
    [sample(f'node_cpu_frequency_hertz{{{WORKER},cpu="0"}}', "3400000000x40"),
     sample(f'node_cpu_frequency_max_hertz{{{WORKER},cpu="0"}}', "3500000000x40")],
    {"instance": "worker-1:9100", "cpu": "0"}, 0)
CASES["NodeNetworkInterfaceDown"] = (nic("4099x40"), {"instance": "worker-1:9100"}, 0)
CASES["PersistentVolumeFillingUp"] = (
    volume("2700-10x40"), {"job": "kubelet", "metrics_path": "/metrics", "namespace": "vms",
                           "persistentvolumeclaim": "data"}, 1)
CASES["DeprecatedMachineType"] = (
    vm_machine("pc-q35-rhel8.6.0"), {"namespace": "vms", "name": "fedora-1", "machine_type": "pc-q35-rhel8.6.0",
                                     "status_group": "running", "vm": "fedora-1"}, 0)
CASES["KubemacpoolMACCollisionDetected"] = ([sample('kmp_mac_collisions{mac="02:5e:4b:00:00:0a"}', "2x40")], {}, 0)
CASES["VirtualMachineInstanceHasEphemeralHotplugVolume"] = (
    [sample('kubevirt_vmi_contains_ephemeral_hotplug_volume{namespace="vms",name="fedora-1",volume_name="scratch"}',
            "1x40")], {"namespace": "vms", "name": "fedora-1", "volume_name": "scratch"}, 0)
# (alert, severity) -> the same alert's other definition: input that fires it (and not the catalog's own)
LEVEL_CASES: dict[tuple[str, str], tuple[list[dict[str, str]], dict[str, str], int]] = {
    ("GuestFilesystemAlmostOutOfSpace", "critical"): (guest_fs("97x40"), FS_LABELS, 0),
    ("VMNonRecoverableOSPanic", "warning"): ([panics("0 2+0x40")],
                                             {"namespace": "vms", "name": "fedora-1", "vm": "fedora-1"}, 1),
}

HEALTHY["GuestFilesystemAlmostOutOfSpace"] = guest_fs("80x40")  # 80%: under 85 (the ISO is left out)
HEALTHY["KubeVirtVMGuestMemoryPressure"] = guest_memory("40000000x40", "0x40", "0+60x40")  # 4%, 1 fault a second
HEALTHY["KubeVirtVMGuestMemoryAvailableLow"] = guest_memory("40000000x40", "0x40", "0x40")  # 4%: over 3
HEALTHY["VMNonRecoverableOSPanic"] = [panics("0x40")]
HEALTHY["ClusterVMPanicDetected"] = [panics("0x40"), panics("0x40", "rhel-2")]
HEALTHY["HighCPUWorkload"] = [sample(f"instance:node_cpu_utilisation:rate1m{{{WORKER}}}", "0.85x40")]
HEALTHY["HighNodeCPUFrequency"] = [sample(f'node_cpu_frequency_hertz{{{WORKER},cpu="0"}}', "2700000000x40"),
                                   sample(f'node_cpu_frequency_max_hertz{{{WORKER},cpu="0"}}', "3500000000x40")]
HEALTHY["NodeNetworkInterfaceDown"] = [*nic("69699x40"),  # running with a link, and an ignored veth without
                                       sample(f'node_network_flags{{{WORKER},device="veth1a2b"}}', "4099x40")]
HEALTHY["PersistentVolumeFillingUp"] = volume("2700x40")  # 9% free but not falling
HEALTHY["DeprecatedMachineType"] = vm_machine("pc-q35-rhel9.4.0")
HEALTHY["KubemacpoolMACCollisionDetected"] = [sample('kmp_mac_collisions{mac="02:5e:4b:00:00:0a"}', "1x40")]
HEALTHY["VirtualMachineInstanceHasEphemeralHotplugVolume"] = [
    sample('kubevirt_vmi_info{namespace="vms",name="fedora-1",phase="running"}', "1x40")]


def test_every_metric_alert_is_exported_with_upstream_labels() -> None:
    rules = export("prometheus")["groups"][0]["rules"]
    assert {r["alert"] for r in rules} == set(CASES) == set(HEALTHY)
    catalog = load_catalog()
    levels = {(r["alert"], r["labels"]["severity"]) for r in rules}
    assert len(levels) == len(rules)  # one rule per alert and severity
    assert levels - {(a, catalog.get(a).severity) for a in CASES} == set(LEVEL_CASES)
    for rule in rules:
        entry = catalog.get(rule["alert"])
        severity = rule["labels"]["severity"]
        assert rule["labels"] == {"severity": severity, "operator_health_impact": entry.health_impact,
                                  "kubernetes_operator_part_of": "kubevirt",
                                  "kubernetes_operator_component": entry.component}
        assert rule["annotations"]["runbook_url"].endswith(f"/runbooks/{rule['alert']}")
        # the catalog's `for` exactly (an alert that fires at once is exported without one)
        assert parse_duration(str(rule.get("for", "0"))) == parse_duration(entry.for_of(severity)), rule
    kube = export("prometheusrule")
    assert kube["apiVersion"] == "monitoring.coreos.com/v1" and kube["kind"] == "PrometheusRule"
    assert kube["spec"]["groups"] == export("prometheus")["groups"]


def test_promtool_checks_and_unit_tests_the_rules(tmp_path: Path) -> None:
    exported = export("prometheus")
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_text(yaml.safe_dump(exported))
    check = subprocess.run([binary("promtool"), "check", "rules", str(rule_file)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"SUCCESS: {len(CASES) + len(LEVEL_CASES)} rules found" in check.stdout

    catalog = load_catalog()
    by_level = {(r["alert"], r["labels"]["severity"]): r for r in exported["groups"][0]["rules"]}
    cases = {**{(alert, catalog.get(alert).severity): case for alert, case in CASES.items()}, **LEVEL_CASES}
    tests = []
    for (alert, severity), (series, labels, needs) in sorted(cases.items()):
        rule = by_level[(alert, severity)]
        # the timing the catalog promises, never the exported rule's own: a rule exported late fails here
        hold = math.ceil(parse_duration(catalog.get(alert).for_of(severity)).total_seconds() / 60)
        expected = [{"exp_labels": {**rule["labels"], **labels}, "exp_annotations": rule["annotations"]}]
        checks = [{"eval_time": f"{needs + hold + 1}m", "alertname": alert, "exp_alerts": expected}]
        if hold:  # one minute before `for` has passed: pending, not firing
            checks.append({"eval_time": f"{needs + hold - 1}m", "alertname": alert, "exp_alerts": []})
        tests.append({"interval": "1m", "input_series": series, "alert_rule_test": checks})
        if (alert, severity) in LEVEL_CASES:
            continue  # the alert's healthy input is tested once, below its catalog severity
        tests.append({"interval": "1m", "input_series": HEALTHY[alert],
                      "alert_rule_test": [{"eval_time": "30m", "alertname": alert, "exp_alerts": []}]})
    test_file = tmp_path / "tests.yaml"
    test_file.write_text(yaml.safe_dump({"rule_files": [str(rule_file)], "evaluation_interval": "1m",
                                         "tests": tests}))
    run = subprocess.run([binary("promtool"), "test", "rules", str(test_file)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "SUCCESS" in run.stdout
