"""Storms: one fault, many alerts, one problem rooted where the fault is — for each kind of root, and for unrelated
faults at once (each its own problem). The simulator notes each storm's root; the scan must find it from the
evidence."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import SimulateFn
from virt_doctor.report.model import Problem, Report, Subject
from virt_doctor.scan import ScanRequest, run_scan
from virt_doctor.simulator.cluster import Cluster

# storm -> the alerts it must set off, all in its one problem
STORMS = {
    # not VirtHandlerDaemonSetRolloutFailing: the real DaemonSet controller stops counting a node tainted unreachable
    # (desired drops with the ready count, tests/control/); the workloads' pods there turn not ready instead
    "storm-node-down": {"OrphanedVirtualMachineInstances", "LowReadyVirtHandlerCount"},
    "storm-handler-crashloop": {"NoReadyVirtHandler", "VirtHandlerDaemonSetRolloutFailing",
                                "OrphanedVirtualMachineInstances"},
    "handler-placement-none": {"VirtHandlerDown", "OrphanedVirtualMachineInstances"},
    "storm-storage-class-gone": {"CDIDataImportCronOutdated", "VirtualMachineStuckInUnhealthyState"},
    "storm-import-source-down": {"CDIDataVolumeUnusualRestartCount", "VirtualMachineStuckInUnhealthyState"},
    "storm-cdi-down": {"CDINotReady", "HCOOperatorConditionsUnhealthy"},
}


def noted_root(cluster: Cluster, fault: str) -> Subject:
    """The root the storm says it broke (its last note)."""
    note = [i for i in cluster.injected if i.fault == fault][-1]
    return Subject(note.kind, note.namespace, note.name)


def scanned(path: Path) -> Report:
    return run_scan(ScanRequest(source=path)).report


def assert_partition(report: Report) -> None:
    """Every finding in exactly one problem, every member a finding, each with a reason."""
    members = [fid for p in report.problems for fid in p.findings]
    assert sorted(members) == sorted(f.id for f in report.findings)
    for problem in report.problems:
        assert set(problem.why) == set(problem.findings) and all(problem.why.values())


def problem_at(report: Report, root: Subject) -> Problem:
    found = [p for p in report.problems if p.root == root]
    assert len(found) == 1, (root, [(p.root, p.title) for p in report.problems])
    return found[0]


@pytest.mark.parametrize("storm", sorted(STORMS))
def test_a_storm_is_one_problem_rooted_at_its_fault(simulated: SimulateFn, storm: str) -> None:
    path, cluster = simulated([storm], nodes=4, vms=48, seed=3)
    report = scanned(path)
    assert_partition(report)
    root = noted_root(cluster, storm)
    assert [p.root for p in report.problems] == [root]  # nothing else is broken in this cluster
    problem = report.problems[0]
    by_id = {f.id: f for f in report.findings}
    alerts = [by_id[fid].alert for fid in problem.findings]
    assert STORMS[storm] <= set(alerts), alerts
    assert len(alerts) >= 2  # a storm: several alerts, one problem
    assert problem.severity == min((f.severity for f in report.findings),
                                   key=["critical", "warning", "info"].index)
    assert problem.state == "firing" and problem.cause == by_id[problem.findings[0]].cause.id
    name = root.name
    assert all(name in why for why in problem.why.values()), problem.why


def test_a_dead_node_with_tens_of_vms_is_one_problem(simulated: SimulateFn) -> None:
    path, cluster = simulated(["storm-node-down"], nodes=4, vms=120, seed=3)
    root = noted_root(cluster, "storm-node-down")
    assert len(cluster.vms_on(root.name)) >= 20
    report = scanned(path)
    problem = problem_at(report, root)
    assert problem.title == f"Node {root.name}: " + next(
        f.cause.title for f in report.findings if f.id == problem.findings[0])
    assert problem.cause == "node-not-ready" and len(problem.findings) == len(report.findings)
    orphaned = [f for f in report.findings if f.alert == "OrphanedVirtualMachineInstances"]
    assert [f.subject for f in orphaned] == [root]
    component = next(f for f in report.findings if f.alert == "LowReadyVirtHandlerCount")
    assert problem.why[component.id] == (f"{component.cause.title} (DaemonSet {component.subject.namespace}/"
                                         f"virt-handler → Node {root.name})")


def test_a_crash_looping_daemonset_takes_every_nodes_orphans(simulated: SimulateFn) -> None:
    path, cluster = simulated(["storm-handler-crashloop"], nodes=4, vms=40, seed=3)
    report = scanned(path)
    problem = problem_at(report, noted_root(cluster, "storm-handler-crashloop"))
    orphaned = {f.subject.name for f in report.findings if f.alert == "OrphanedVirtualMachineInstances"
                and f.id in problem.findings}
    assert orphaned == {w["metadata"]["name"] for w in cluster.workers if cluster.vms_on(w["metadata"]["name"])}
    for f in report.findings:
        if f.alert == "OrphanedVirtualMachineInstances":  # by way of the node's own virt-handler pod
            pod = cluster.handler_pods[f.subject.name]["metadata"]["name"]
            assert f"Node {f.subject.name} → Pod {f.subject.namespace or cluster.install_ns}/{pod} → DaemonSet" \
                in problem.why[f.id]


def test_unrelated_faults_are_separate_problems(simulated: SimulateFn) -> None:
    faults = ["storm-node-down", "storm-import-source-down", "storm-storage-class-gone", "vm-invalid-spec"]
    path, cluster = simulated(faults, nodes=4, vms=40, seed=3)
    report = scanned(path)
    assert_partition(report)
    vm = next(i for i in cluster.injected if i.fault == "vm-invalid-spec")
    roots = {noted_root(cluster, f) for f in faults[:3]} | {Subject(vm.kind, vm.namespace, vm.name)}
    assert {p.root for p in report.problems} == roots
    by_id = {f.id: f for f in report.findings}
    imports = problem_at(report, noted_root(cluster, "storm-import-source-down"))
    assert sorted(by_id[i].alert for i in imports.findings) == \
        ["CDIDataVolumeUnusualRestartCount"] * 4 + ["VirtualMachineStuckInUnhealthyState"] * 4
    gone = problem_at(report, noted_root(cluster, "storm-storage-class-gone"))
    assert sorted(by_id[i].alert for i in gone.findings) == \
        ["CDIDataImportCronOutdated"] + ["VirtualMachineStuckInUnhealthyState"] * 4
    node = problem_at(report, noted_root(cluster, "storm-node-down"))
    assert {by_id[i].subject.kind for i in node.findings} <= {"Node", "Deployment", "DaemonSet"}


def test_hco_reaches_the_component_through_its_operand(simulated: SimulateFn) -> None:
    path, cluster = simulated(["storm-cdi-down"], nodes=4, vms=12, seed=3)
    report = scanned(path)
    cdi = problem_at(report, noted_root(cluster, "storm-cdi-down"))
    by_id = {f.id: f for f in report.findings}
    hco = next(i for i in cdi.findings if by_id[i].alert == "HCOOperatorConditionsUnhealthy")
    assert cdi.why[hco].endswith("(HyperConverged openshift-cnv/kubevirt-hyperconverged → CDI cdi-kubevirt-hyperconverged"
                                 " → Deployment openshift-cnv/cdi-deployment)")


def test_a_problem_id_is_the_same_for_the_same_root_and_cause(simulated: SimulateFn) -> None:
    first, _ = simulated(["storm-handler-crashloop"], nodes=3, vms=12, seed=1)
    second, _ = simulated(["storm-handler-crashloop"], nodes=4, vms=20, seed=2)
    other, _ = simulated(["handler-placement-none"], nodes=3, vms=12, seed=1)
    a, b, c = (scanned(p).problems for p in (first, second, other))
    assert len(a) == len(b) == len(c) == 1
    assert a[0].id == b[0].id and a[0].findings != b[0].findings
    assert a[0].root == c[0].root and a[0].id != c[0].id  # same root, another cause


def test_a_link_to_an_object_the_source_never_looked_at_is_not_made(simulated: SimulateFn) -> None:
    """Group the whole dump's findings against the dump without its nodes: the findings that named the dead node
    cannot be linked to it, so each stays a problem of its own and says what could not be checked."""
    from tests.scope.removal import read_all, removable, scan_files, snapshot_files
    from virt_doctor.problems import group_problems

    path, cluster = simulated(["storm-node-down"], nodes=4, vms=40, seed=3)
    root = noted_root(cluster, "storm-node-down")
    files = read_all(path)
    full, snap = scan_files("full", files)
    linked = group_problems(snap, full.findings)
    assert [p.root for p in linked] == [root]
    without_nodes = removable(files)["kind Node"]
    partial = snapshot_files("partial", [(rel, data) for rel, data in files if rel not in without_nodes])
    apart = group_problems(partial, full.findings)
    assert_partition(replace(full, problems=apart))
    at_node = [p for p in apart if p.root == root]
    assert [len(p.findings) for p in at_node] == [1]  # only the finding about the node itself
    others = [p for p in apart if p.root != root]
    assert sum(len(p.findings) for p in others) == len(full.findings) - 1 and len(others) >= 3
    for problem in others:
        assert problem.root.kind in ("Deployment", "DaemonSet")
        assert problem.unchecked and all(u.startswith(f"Node/{root.name}: ") for u in problem.unchecked)
        assert all("not linked further: Node/" in why for why in problem.why.values())
