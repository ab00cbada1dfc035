"""The grouping's own rules on findings written by hand against a real (simulated) snapshot: which hops it may
take, and which it must not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SimulateFn
from virt_doctor.catalog import load_catalog
from virt_doctor.problems import group_problems
from virt_doctor.report.model import Cause, Evidence, Finding, Subject
from virt_doctor.snapshot import Snapshot
from virt_doctor.sources.load import load_dump

NS = "openshift-cnv"


def finding(alert: str, subject: Subject, cause: str, *evidence: str, severity: str = "warning",
            **labels: str) -> Finding:
    """A finding as the engine would build it, with the catalog's cause title and evidence naming these objects."""
    title = load_catalog().get(alert).cause(cause).title
    return Finding(id=f"{alert}|{subject.ref()}", alert=alert, severity=severity, state="firing", since=None,
                   subject=subject, labels=dict(labels), summary="", cause=Cause(cause, title, "high"),
                   evidence=tuple(Evidence(object=e) for e in evidence), remediation=(), runbook=alert)


@pytest.fixture
def healthy(simulated: SimulateFn) -> tuple[Snapshot, Path]:
    path, _ = simulated(nodes=3, vms=6, seed=2)
    return load_dump(path), path


def test_an_operand_is_explained_by_its_components_fault(healthy: tuple[Snapshot, Path]) -> None:
    """HCO says KubeVirt is not available; virt-controller is down (a finding about the Deployment, not the CR):
    one problem, rooted at virt-controller, reached through the KubeVirt CR."""
    snap, _ = healthy
    kubevirt = snap.kind("KubeVirt")[0]["metadata"]["name"]
    down = finding("VirtControllerDown", Subject("Deployment", NS, "virt-controller"), "pod-crash-looping",
                   severity="critical")
    hco = finding("HCOOperatorConditionsUnhealthy", Subject("HyperConverged", NS, "kubevirt-hyperconverged"),
                  "operand-not-available", f"KubeVirt/{NS}/{kubevirt}", severity="critical")
    problems = group_problems(snap, [down, hco])
    assert [p.root for p in problems] == [Subject("Deployment", NS, "virt-controller")]
    assert problems[0].why[hco.id].endswith(f"(HyperConverged {NS}/kubevirt-hyperconverged → KubeVirt "
                                            f"{NS}/{kubevirt} → Deployment {NS}/virt-controller)")
    assert problems[0].findings[0] == down.id and problems[0].cause == "pod-crash-looping"


def test_a_node_is_never_blamed_on_what_explains_another_finding_about_it(healthy: tuple[Snapshot, Path]) -> None:
    """virt-handler crash-loops on a node (its orphans lead there through the node's pod); a VM on the same node
    lacks KVM. The KVM fault is the node's own: it must not follow the orphans to the DaemonSet."""
    snap, _ = healthy
    vmi = snap.kind("VirtualMachineInstance")[0]
    node = vmi["status"]["nodeName"]
    vm = Subject("VirtualMachine", vmi["metadata"]["namespace"], vmi["metadata"]["name"])
    orphans = finding("OrphanedVirtualMachineInstances", Subject("Node", "", node),
                      "virt-handler-daemonset-unhealthy", node=node)
    kvm = finding("VirtualMachineStuckOnNode", vm, "kvm-unavailable", f"Node/{node}", node=node)
    problems = group_problems(snap, [orphans, kvm])
    assert {p.root: p.findings for p in problems} == {Subject("DaemonSet", NS, "virt-handler"): (orphans.id,),
                                                      Subject("Node", "", node): (kvm.id,)}


def test_a_vm_at_fault_itself_is_not_moved_by_another_finding_about_it(healthy: tuple[Snapshot, Path]) -> None:
    """A VM with an invalid spec is its own problem, even when another finding about the same VM leads to its
    storage class."""
    snap, _ = healthy
    vm = snap.kind("VirtualMachine")[0]["metadata"]
    subject = Subject("VirtualMachine", vm["namespace"], vm["name"])
    sc = snap.kind("StorageClass")[0]["metadata"]["name"]
    invalid = finding("VirtualMachineStuckInUnhealthyState", subject, "invalid-spec")
    rbd = finding("VMStorageClassWarning", subject, "rbd-without-rxbounce", f"StorageClass/{sc}")
    problems = group_problems(snap, [invalid, rbd])
    assert {p.root: p.findings for p in problems} == {subject: (invalid.id,),
                                                      Subject("StorageClass", "", sc): (rbd.id,)}


def test_different_causes_on_one_object_are_one_problem_with_both(healthy: tuple[Snapshot, Path]) -> None:
    snap, _ = healthy
    sc = Subject("StorageClass", "", snap.kind("StorageClass")[0]["metadata"]["name"])
    degraded = finding("CDIDefaultStorageClassDegraded", sc, "no-readwritemany")
    several = finding("CDIMultipleDefaultVirtStorageClasses", sc, "several-defaults")
    (problem,) = group_problems(snap, [several, degraded])
    assert problem.root == sc and set(problem.causes) == {"no-readwritemany", "several-defaults"}
    assert problem.cause == "no-readwritemany"  # the lead: same severity, by alert name — stable, not input order
    assert group_problems(snap, [degraded, several])[0].id == problem.id
