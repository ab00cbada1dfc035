"""Actions as data: filled from a finding, rendered to kubectl with every value quoted, turned into requests with
the planned resourceVersion as a precondition; guards as pure functions of the snapshot."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from typing import Any

import pytest

from virt_doctor.catalog import load_catalog
from virt_doctor.catalog.catalog import ACTION_TYPES
from virt_doctor.remedy.guards import refusals
from virt_doctor.remedy.request import request_of
from virt_doctor.report.actions import KINDS, MAKERS, Action, build_action, kubectl_of
from virt_doctor.report.model import Cause, Finding, Step, Subject, finding_from_dict, finding_to_dict
from virt_doctor.snapshot import Seen, Snapshot, SourceInfo
from virt_doctor.sources.resources import RESOURCES

AT = datetime(2026, 12, 2, tzinfo=UTC)


def node(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "resourceVersion": "41"},
            "spec": spec, "status": {"conditions": [{"type": "Ready", "status": "True"}],
                                     "allocatable": {"devices.kubevirt.io/kvm": "1k"}}}


def lookup(objects: list[dict[str, Any]]) -> Any:
    return Snapshot(objects=objects, at=AT, source=SourceInfo("simulated", "test"), seen=Seen.everywhere({o["kind"] for o in objects})).get


def test_every_action_type_has_a_maker_and_every_kind_its_real_api_version() -> None:
    assert set(MAKERS) == set(ACTION_TYPES)
    served = {r.kind: r.api_version for r in RESOURCES}
    assert {kind: version for kind, (version, _) in KINDS.items()} == {kind: served[kind] for kind in KINDS}


def test_every_catalog_action_names_a_known_kind_and_a_mutating_risk() -> None:
    actions = [(e.name, s) for e in load_catalog() for s in e.mitigation if s.action]
    assert len(actions) >= 60
    for alert, step in actions:
        assert step.action is not None and step.action.get("kind", "Node") in KINDS, (alert, step.id)
        assert step.risk != "read-only"


def test_values_are_quoted_so_a_hostile_name_cannot_run_a_command() -> None:
    hostile = "x'; rm -rf / #"
    made = build_action({"type": "annotate", "kind": "HyperConverged", "namespace": "openshift-cnv",
                         "name": "kubevirt-hyperconverged", "annotation": "kubevirt.kubevirt.io/jsonpatch",
                         "value": "<annotation-value>"}, {"annotation-value": hostile}, lookup([]))
    assert made is not None
    command = kubectl_of(made)
    assert shlex.split(command)[-1] == f"kubevirt.kubevirt.io/jsonpatch={hostile}"
    assert made.body == {"metadata": {"annotations": {"kubevirt.kubevirt.io/jsonpatch": hostile}}}


@pytest.mark.parametrize("params", [{}, {"node": "worker-0 worker-1"}, {"node": "Worker_0"}, {"node": "$(id)"}])
def test_an_unknown_or_malformed_name_leaves_the_step_to_a_person(params: dict[str, str]) -> None:
    assert build_action({"type": "cordon", "kind": "Node", "name": "<node>"}, params, lookup([])) is None


def test_remove_taint_writes_the_other_taints_back_and_carries_the_resource_version() -> None:
    taints = [{"key": "a", "effect": "NoSchedule"}, {"key": "b", "value": "1", "effect": "NoExecute"}]
    made = build_action({"type": "remove-taint", "kind": "Node", "name": "<node>", "taint": "<taint>"},
                        {"node": "w1", "taint": "b=1:NoExecute-"}, lookup([node("w1", taints=taints)]))
    assert made is not None and made.body == {"spec": {"taints": [taints[0]]}} and made.resource_version == "41"
    request = request_of(made, dry_run=True)
    assert request.method == "PATCH" and request.path == "/api/v1/nodes/w1"
    assert request.body["metadata"]["resourceVersion"] == "41" and request.params["dryRun"] == "All"
    assert request.content_type == "application/merge-patch+json"
    gone = build_action({"type": "remove-taint", "kind": "Node", "name": "w1", "taint": "c:NoSchedule-"}, {},
                        lookup([node("w1", taints=taints)]))
    assert gone is None  # the node no longer has it: nothing to do


def test_json_patches_test_the_resource_version_and_deletes_carry_a_precondition() -> None:
    patch = Action("patch", "patch", "hco.kubevirt.io/v1beta1", "HyperConverged", "openshift-cnv",
                   "kubevirt-hyperconverged", "json", [{"op": "remove", "path": "/spec/x"}], None, "9")
    assert request_of(patch, dry_run=False).body[0] == {"op": "test", "path": "/metadata/resourceVersion",
                                                        "value": "9"}
    delete = Action("force-delete", "delete", "kubevirt.io/v1", "VirtualMachineInstance", "ns", "vm", "", None, 0, "7")
    body = request_of(delete, dry_run=True).body
    assert body["preconditions"] == {"resourceVersion": "7"} and body["gracePeriodSeconds"] == 0
    assert body["dryRun"] == ["All"]
    assert kubectl_of(delete) == "kubectl delete vmi vm -n ns --grace-period=0 --force"


def test_the_report_carries_the_action_and_reads_it_back() -> None:
    action = Action("cordon", "patch", "v1", "Node", "", "w1", "merge", {"spec": {"unschedulable": True}}, None, "3")
    step = Step("cordon-node", "Cordon", kubectl_of(action), "safe", action)
    finding = Finding("f1", "A", "warning", "firing", None, Subject("Node", "", "w1"), {}, "s",
                      Cause("c", "t", "high"), (), (step, Step("by-hand", "By hand", "kubectl edit x", "safe")), "A")
    data = finding_to_dict(finding)
    assert data["remediation"][0]["action"]["resourceVersion"] == "3"
    assert data["remediation"][1]["action"] is None
    assert finding_from_dict(data) == finding


def launcher_world(live_migratable: bool | None, vmi_listed: bool = True) -> Snapshot:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "virt-launcher-vm1-abcde", "namespace": "ns",
           "labels": {"kubevirt.io": "virt-launcher", "vm.kubevirt.io/name": "vm1"}}, "spec": {}, "status": {}}
    vmi: dict[str, Any] = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
                           "metadata": {"name": "vm1", "namespace": "ns"}, "spec": {},
                           "status": {"phase": "Running", "nodeName": "w1", "conditions": []}}
    if live_migratable is not None:
        vmi["status"]["conditions"].append({"type": "LiveMigratable", "status": str(live_migratable)})
    objects = [pod, vmi] if vmi_listed else [pod]
    kinds = {"Pod", "VirtualMachineInstance"} if vmi_listed else {"Pod"}
    return Snapshot(objects=objects, at=AT, source=SourceInfo("simulated", "test"), seen=Seen.everywhere(kinds))


@pytest.mark.parametrize(("migratable", "listed", "refused"), [
    (False, True, True), (None, True, True), (True, True, False), (None, False, True)])
def test_deleting_the_launcher_of_a_vm_that_cannot_migrate_is_refused(migratable: bool | None, listed: bool,
                                                                       refused: bool) -> None:
    snap = launcher_world(migratable, listed)
    action = Action("delete", "delete", "v1", "Pod", "ns", "virt-launcher-vm1-abcde")
    found = refusals(snap, action, frozenset())
    assert bool(found) is refused
    if refused:
        assert found[0].risk == "downtime" and found[0].flag == "--allow-downtime"
        assert ("cannot tell" in found[0].why) is (not listed)
    assert refusals(snap, action, frozenset({"downtime"})) == []
