"""The metric alerts against a real Prometheus loaded with simulated history: firing, pending, silent."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.prometheus.conftest import prometheus_from
from tests.prometheus.metric_faults import ALONE, METRIC_FAULTS
from virt_doctor.report.model import Report
from virt_doctor.scan import ScanRequest, run_scan
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import write_dump
from virt_doctor.sources.prometheus import PrometheusClient

pytestmark = pytest.mark.real  # every test here asks a real Prometheus

METRIC_ALERTS = {"VirtApiRESTErrorsBurst", "VirtApiRESTErrorsHigh", "VirtControllerRESTErrorsBurst",
                 "VirtControllerRESTErrorsHigh", "VirtHandlerRESTErrorsBurst", "VirtHandlerRESTErrorsHigh",
                 "VirtOperatorRESTErrorsBurst", "VirtOperatorRESTErrorsHigh", "KubeVirtComponentExceedsRequestedCPU",
                 "KubeVirtComponentExceedsRequestedMemory", "KubevirtVmHighMemoryUsage",
                 "KubeVirtDeprecatedAPIRequested", "SSPFailingToReconcile", "SSPHighRateRejectedVms",
                 "SSPCommonTemplatesModificationReverted", "KubeVirtCRModified", "HPPSharingPoolPathWithOS",
                 "GuestVCPUQueueHighWarning", "GuestVCPUQueueHighCritical", "GuestFilesystemAlmostOutOfSpace",
                 "KubeVirtVMGuestMemoryPressure", "KubeVirtVMGuestMemoryAvailableLow", "VMNonRecoverableOSPanic",
                 "ClusterVMPanicDetected", "HighCPUWorkload", "HighNodeCPUFrequency", "NodeNetworkInterfaceDown",
                 "PersistentVolumeFillingUp", "DeprecatedMachineType"}


def scan_with_prometheus(faults: list[str], workdir: Path, age: timedelta = timedelta(minutes=40),
                         nodes: int = 3, release: str = "v1.2.2", extra: tuple[dict[str, Any], ...] = ()) -> Report:
    return scan_cluster(faults, workdir, age, nodes, release, extra)[0]


def scan_cluster(faults: list[str], workdir: Path, age: timedelta = timedelta(minutes=40), nodes: int = 3,
                 release: str = "v1.2.2", extra: tuple[dict[str, Any], ...] = ()) -> tuple[Report, Cluster]:
    """The faults simulated (their history in a real Prometheus), scanned: the report and the cluster."""
    # KubeVirt v1.2: a release that still ships the alerts later releases removed (usage over requests, ...)
    cluster = simulate(nodes=nodes, vms=8 if nodes == 3 else 24, faults=faults, seed=3, fault_age=age,
                       kubevirt_version=release)
    cluster.extra += list(extra)
    dump = write_dump(cluster, workdir / "dump", metrics=True)
    with prometheus_from(dump / "metrics.om", workdir) as url:
        client = PrometheusClient(url)
        try:
            result = run_scan(ScanRequest(source=dump, prometheus=client))
        finally:
            client.close()
    assert result.warnings == ()
    return result.report, cluster


@pytest.fixture(scope="module")
def faulty_cluster(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Cluster]:
    return scan_cluster(list(METRIC_FAULTS), tmp_path_factory.mktemp("faulty"), nodes=7)


@pytest.fixture(scope="module")
def faulty(faulty_cluster: tuple[Report, Cluster]) -> Report:
    return faulty_cluster[0]


def injected_subject(cluster: Cluster, fault: str) -> tuple[str, str, str]:
    """The object the simulator injected the fault into (a parametrised fault: the one its parameter names, or a pod
    of that component)."""
    name, _, param = fault.partition(":")
    targets = [i for i in cluster.injected if i.fault == name
               and (not param or i.name == param or i.name.startswith(f"{param}-"))]
    assert len(targets) == 1, (fault, targets)
    return targets[0].kind, targets[0].namespace, targets[0].name


@pytest.mark.parametrize("fault", sorted(METRIC_FAULTS))
def test_metric_alert_fires_with_its_cause_on_its_subject(faulty_cluster: tuple[Report, Cluster], fault: str) -> None:
    """The fault's alert fires with its cause on the object the fault was injected into — not on another one
    (faults that share an alert and cause, guest-disk-filling and guest-disk-full, each on its own VM)."""
    report, cluster = faulty_cluster
    subject = injected_subject(cluster, fault)
    for alert, cause in METRIC_FAULTS[fault]:
        on_it = [f for f in report.findings if f.alert == alert
                 and (f.subject.kind, f.subject.namespace, f.subject.name) == subject]
        assert [(f.cause.id, f.state) for f in on_it] == [(cause, "firing")], \
            (subject, [(f.subject.ref(), f.cause.id, f.state) for f in report.findings if f.alert == alert])


def side_effects(cluster: Cluster) -> dict[str, set[tuple[str, str, str, str]]]:
    """The findings one fault legitimately sets off beyond its own, derived from what the simulator did:
    alert -> {(kind, namespace, name, cause)}."""
    def pods(prefix: str, node: str = "") -> set[tuple[str, str, str, str]]:
        return {("Pod", o["metadata"]["namespace"], o["metadata"]["name"], "request-too-low") for o in cluster.objects()
                if o["kind"] == "Pod" and o["metadata"]["name"].startswith(f"{prefix}-")
                and (not node or o["spec"].get("nodeName") == node)}

    starved = injected_subject(cluster, "guest-cpu-starved")
    busy_handler = injected_subject(cluster, "node-cpu-pods")[2]  # "55 cores used by virt-handler" on that node
    panics = next(i for i in cluster.injected if i.fault == "guest-panics-one-node")
    panicking = set(re.findall(r"\b(\S+-\d{5})\b", panics.detail))
    return {
        # a run queue over the critical threshold is over the warning's too
        "GuestVCPUQueueHighWarning": {(*starved, "host-cpu-contention")},
        # the component's usage is raised on its other replica too; the busy node's virt-handler uses 55 cores
        "KubeVirtComponentExceedsRequestedCPU": pods("virt-controller") | pods("virt-handler", busy_handler),
        "KubeVirtComponentExceedsRequestedMemory": pods("virt-operator"),
        # each of the two VMs whose guests panic on the shared node panicked once
        "VMNonRecoverableOSPanic": {("VirtualMachine", ns, name, "single-crash") for ns, name in
                                    (v.key for v in cluster.vms) if name in panicking},
    }


def test_no_metric_alert_fires_on_a_subject_no_fault_explains(faulty_cluster: tuple[Report, Cluster]) -> None:
    """Every finding of a metric alert in the all-faults cluster is on a subject a fault was injected into (with
    that fault's cause), or one of the side effects the simulator's own record explains: no second finding on
    another node, VM or pod, and no fault's finding missing."""
    report, cluster = faulty_cluster
    expected: dict[str, set[tuple[str, str, str, str]]] = {}
    for fault, pairs in METRIC_FAULTS.items():
        for alert, cause in pairs:
            expected.setdefault(alert, set()).add((*injected_subject(cluster, fault), cause))
    for alert, subjects in side_effects(cluster).items():
        assert subjects - expected[alert], alert  # each side effect adds a subject (none is vacuous)
        expected[alert] |= subjects
    for alert, subjects in sorted(expected.items()):
        found = {(f.subject.kind, f.subject.namespace, f.subject.name, f.cause.id) for f in report.findings
                 if f.alert == alert}
        assert found == subjects, (alert, sorted(found ^ subjects))


def test_metric_findings_carry_evidence_and_commands(faulty: Report) -> None:
    burst = next(f for f in faulty.findings if f.alert == "VirtApiRESTErrorsBurst")
    assert burst.subject.name == "virt-api" and burst.subject.namespace == "openshift-cnv"
    assert any("code=500" in str(e.path) for e in burst.evidence)
    assert all("<kubevirt-namespace>" not in s.command for s in burst.remediation)
    assert {c.alert for c in faulty.coverage if c.status == "evaluated"} >= METRIC_ALERTS


def test_healthy_history_raises_no_metric_alert(tmp_path: Path) -> None:
    report = scan_with_prometheus([], tmp_path)
    assert [f for f in report.findings if f.alert in METRIC_ALERTS] == []
    assert {c.alert for c in report.coverage if c.status == "evaluated"} >= METRIC_ALERTS


def test_young_condition_is_pending(tmp_path: Path) -> None:
    report = scan_with_prometheus(["rest-errors:virt-controller"], tmp_path, age=timedelta(minutes=3))
    burst = next(f for f in report.findings if f.alert == "VirtControllerRESTErrorsBurst")
    assert burst.state == "pending"  # 3 minutes of errors, the alert's for is 5m
    high = next(f for f in report.findings if f.alert == "VirtControllerRESTErrorsHigh")
    assert high.state == "firing"  # for 0


def test_resource_findings_carry_a_valid_hco_patch(faulty: Report) -> None:
    """The patch to the HyperConverged CR is real JSON Patch with a strategic patch inside, values filled in."""
    import json
    import shlex

    finding = next(f for f in faulty.findings if f.alert == "KubeVirtComponentExceedsRequestedCPU")
    command = next(s.command for s in finding.remediation if s.id == "raise-request")
    words = shlex.split(command)
    assert words[:4] == ["kubectl", "annotate", "--overwrite", "hyperconverged"]
    annotation = next(w for w in words if w.startswith("kubevirt.kubevirt.io/jsonpatch="))
    operations = json.loads(annotation.split("=", 1)[1])
    patch = operations[0]["value"]["patches"][0]
    assert patch["resourceName"] == "virt-controller"
    container = json.loads(patch["patch"])["spec"]["template"]["spec"]["containers"][0]
    assert container["name"] == "virt-controller"
    request = container["resources"]["requests"]["cpu"]
    assert request.endswith("m") and int(request[:-1]) >= 500  # 25% over the 0.5 cores it uses
    vm = next(f for f in faulty.findings if f.alert == "KubevirtVmHighMemoryUsage")
    assert any('"memory":"' in s.command and "<memory>" not in s.command for s in vm.remediation)


def test_resource_findings_state_usage_and_request_in_units(faulty: Report) -> None:
    """Usage and request both carry their unit: cores for CPU, whole MiB for memory."""
    import re

    cpu = next(f for f in faulty.findings if f.alert == "KubeVirtComponentExceedsRequestedCPU")
    assert re.search(r"\(\d+\.\d\d cores used, \d+\.\d\d cores requested\)", cpu.summary), cpu.summary
    memory = next(f for f in faulty.findings if f.alert == "KubeVirtComponentExceedsRequestedMemory")
    assert re.search(r"\(\d+ MiB used, \d+ MiB requested\)", memory.summary), memory.summary


def test_an_alert_defined_at_two_severities_takes_the_one_that_holds(faulty: Report) -> None:
    """GuestFilesystemAlmostOutOfSpace is warning from 85% (for 10m) and critical from 95% (at once);
    VMNonRecoverableOSPanic is critical past 5 panics a day (kubevirt) and warning from 1 (HCO)."""
    disks = {f.summary.split("'s file system")[0]: f for f in faulty.findings
             if f.alert == "GuestFilesystemAlmostOutOfSpace"}
    by_percent = {f.severity: f for f in disks.values()}
    assert "97% full" in by_percent["critical"].summary and "90% full" in by_percent["warning"].summary
    grown = next(f for f in disks.values() if f.cause.id == "disk-larger-than-filesystem")
    assert "30Gi" in grown.summary and grown.severity == "warning"
    panics = {f.cause.id: f.severity for f in faulty.findings if f.alert == "VMNonRecoverableOSPanic"}
    assert panics["crash-loop"] == "critical" and panics["single-crash"] == "warning"


def test_one_crashed_guest_is_its_own_cause(tmp_path: Path) -> None:
    report = scan_with_prometheus(list(ALONE), tmp_path)
    found = {(f.alert, f.cause.id, f.state) for f in report.findings}
    for alert, cause in ALONE["guest-panic-once"]:
        assert (alert, cause, "firing") in found, found


def test_the_clusters_own_rule_is_what_prometheus_is_asked(tmp_path: Path, faulty: Report) -> None:
    """The cluster's PrometheusRule fires HighCPUWorkload at 80%: the node at 85% is found, and the coverage names
    the rule; with virt-doctor's 90% (the faulty cluster, same faults among others) it is not."""
    from tests.rules.prometheusrules import alerting, prometheus_rule

    rule = prometheus_rule("kubevirt-cnv-observability-rules",
                           alerting("HighCPUWorkload", "instance:node_cpu_utilisation:rate1m >= 0.8", "warning", "5m"))
    theirs = scan_with_prometheus(["node-cpu-vms", "cpu-frequency-load"], tmp_path / "theirs", nodes=4, extra=(rule,))
    busy = {f.cause.id for f in theirs.findings if f.alert == "HighCPUWorkload"}
    assert busy == {"vms-use-the-node", "host-processes"}  # the 85%-busy node: no container accounts for it
    loaded = next(f.subject.name for f in faulty.findings if f.alert == "HighNodeCPUFrequency"
                  and f.cause.id == "sustained-load")
    assert not [f for f in faulty.findings if f.alert == "HighCPUWorkload" and f.subject.name == loaded]
    line = next(c for c in theirs.coverage if c.alert == "HighCPUWorkload")
    assert line.definition == "PrometheusRule openshift-cnv/kubevirt-cnv-observability-rules"
    assert line.status == "evaluated" and "the cluster's own rule" in line.reason


def test_an_alert_the_clusters_prometheus_fires_is_shipped_whatever_the_release(tmp_path: Path) -> None:
    """KubeVirt v1.5.2 no longer ships KubeVirtComponentExceedsRequestedMemory (removed in v1.3.0), but when the
    cluster's Prometheus has it firing, its rule is there (a backport, a custom rule): virt-doctor evaluates it."""
    report = scan_with_prometheus(["component-memory:virt-operator"], tmp_path, release="v1.5.2")
    line = next(c for c in report.coverage if c.alert == "KubeVirtComponentExceedsRequestedMemory")
    assert line.status == "evaluated" and "the cluster's Prometheus has it pending or firing" in line.reason
    finding = next(f for f in report.findings if f.alert == "KubeVirtComponentExceedsRequestedMemory")
    assert finding.origin == "virt-doctor" and finding.cause.id == "request-too-low"
    silent = next(c for c in report.coverage if c.alert == "KubevirtVmHighMemoryUsage")
    assert silent.status == "skipped" and silent.reason.startswith("not shipped by this cluster")
