"""The shared component diagnosis, for every component alert and every way a component fails."""

from __future__ import annotations

import pytest

from tests.conftest import SimulateFn, findings_for, scan

# fault kind -> the cause the shared diagnosis must name
FAULTS = {
    "component-crashloop": "pod-crash-looping", "component-oom": "oom-killed",
    "component-api-unreachable": "api-server-unreachable", "component-dns": "dns-failure",
    "component-readiness": "readiness-probe-failing", "component-node-not-ready": "node-not-ready",
    "component-image-pull": "image-pull-failure", "component-unschedulable": "pod-unschedulable",
    "component-scaled-to-zero": "scaled-to-zero", "component-missing": "deployment-missing",
}
# alerts that read readiness (or upstream's `up`): every failure shows
NOT_READY = {
    "NoReadyVirtController": "virt-controller", "NoReadyVirtOperator": "virt-operator",
    "CDIOperatorDown": "cdi-operator", "CnaoDown": "cluster-network-addons-operator",
    "HPPOperatorDown": "hostpath-provisioner-operator", "KubemacpoolDown": "kubemacpool-mac-controller-manager",
    "SSPDown": "ssp-operator", "SSPTemplateValidatorDown": "virt-template-validator",
}
# alerts that count pods in phase Running: only failures that leave no pod Running show
NOT_RUNNING = {"VirtAPIDown": "virt-api", "VirtControllerDown": "virt-controller", "VirtOperatorDown": "virt-operator"}
LEAVES_NONE_RUNNING = ("component-image-pull", "component-unschedulable", "component-scaled-to-zero",
                       "component-missing")

MATRIX = [(alert, workload, fault) for alert, workload in NOT_READY.items() for fault in FAULTS] + \
    [(alert, workload, fault) for alert, workload in NOT_RUNNING.items() for fault in LEAVES_NONE_RUNNING]


@pytest.mark.parametrize(("alert", "workload", "fault"), MATRIX, ids=[f"{a}-{f}" for a, _, f in MATRIX])
def test_component_failure_is_diagnosed(simulated: SimulateFn, alert: str, workload: str, fault: str) -> None:
    path, cluster = simulated([f"{fault}:{workload}"], vms=4)
    found = [f for f in findings_for(scan(path), alert) if f.subject.name == workload]
    assert [(f.cause.id, f.state) for f in found] == [(FAULTS[fault], "firing")]
    assert found[0].subject.namespace == cluster.install_ns
    assert all("<" not in s.command.split("'")[0] for s in found[0].remediation if "<pod>" not in s.command)


@pytest.mark.parametrize("alert", sorted(NOT_RUNNING))
def test_crash_looping_pods_are_running_so_down_alerts_stay_silent(simulated: SimulateFn, alert: str) -> None:
    """Upstream counts phase Running: a crash-looping pod still is (the NoReady alert fires instead)."""
    path, _ = simulated([f"component-crashloop:{NOT_RUNNING[alert]}"], vms=4)
    assert findings_for(scan(path), alert) == []


HANDLER = {"component-crashloop": "pod-crash-looping", "component-oom": "oom-killed",
           "component-image-pull": "image-pull-failure", "component-unschedulable": "pod-unschedulable",
           "component-node-not-ready": "node-not-ready", "component-readiness": "readiness-probe-failing",
           "component-api-unreachable": "api-server-unreachable"}


# failures that leave no virt-handler pod in phase Running: VirtHandlerDown fires (upstream counts phase Running)
HANDLER_NONE_RUNNING = ("component-image-pull", "component-unschedulable")


@pytest.mark.parametrize("fault", sorted(HANDLER))
def test_every_virt_handler_failure_is_diagnosed(simulated: SimulateFn, fault: str) -> None:
    path, cluster = simulated([f"{fault}:virt-handler"], vms=4)
    report = scan(path)
    found = findings_for(report, "VirtHandlerDown")
    if fault in HANDLER_NONE_RUNNING:
        assert [(f.subject.name, f.cause.id, f.state) for f in found] == [("virt-handler", HANDLER[fault], "firing")]
    else:  # crash-looping, OOM-killed, unready pods and pods on a NotReady node are still in phase Running
        assert found == []
    rollout = findings_for(report, "VirtHandlerDaemonSetRolloutFailing")
    if fault == "component-node-not-ready":  # the DaemonSet controller no longer wants pods on unreachable nodes:
        assert rollout == []  # desired drops with ready, as the real controller writes it (tests/control/)
        assert [f.cause.id for f in findings_for(report, "NoReadyVirtHandler")] == ["node-not-ready"]
        return
    # the rollout alert names the scheduler's "Insufficient cpu" more precisely
    expected = "insufficient-node-resources" if fault == "component-unschedulable" else HANDLER[fault]
    assert [f.cause.id for f in rollout] == [expected]
