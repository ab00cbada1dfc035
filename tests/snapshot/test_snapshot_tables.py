"""The snapshot's tables, built in one pass, are the tables of its de-duplicated objects (`_dedupe` first)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from tests.conftest import SimulateFn
from virt_doctor.snapshot import Snapshot, SourceInfo
from virt_doctor.snapshot.snapshot import _dedupe, _indexed
from virt_doctor.sources.dump import read_dump

AT = datetime(2026, 11, 20, tzinfo=UTC)


def pod(name: str, version: str, uid: str, node: str = "n1", api: str = "v1", ns: str = "ns1") -> dict[str, Any]:
    return {"apiVersion": api, "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "uid": uid, "resourceVersion": version,
                         "labels": {"kubevirt.io": "virt-launcher", "kubevirt.io/created-by": f"vmi-{uid}"},
                         "ownerReferences": [{"kind": "VirtualMachineInstance", "name": name, "uid": f"vmi-{uid}",
                                              "controller": True}]},
            "spec": {"nodeName": node}, "status": {"phase": "Running"}}


def shape(tables: dict[str, Any]) -> dict[str, Any]:
    """The tables with each object by identity, so that equal copies of an object still count as different."""
    ids = {name: [id(o) for o in objs] for name, objs in tables["by_kind"].items()}
    return {"objects": [id(o) for o in tables["objects"]], "by_kind": ids,
            "by_key": {k: id(o) for k, o in tables["by_key"].items()},
            "by_uid": {k: id(o) for k, o in tables["by_uid"].items()},
            "indexes": {n: {k: [id(o) for o in v] for k, v in t.items()} for n, t in tables["indexes"].items()},
            "unindexed": tables["unindexed"]}


def agrees(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The one-pass tables, checked equal to those of the de-duplicated objects."""
    once = _indexed(objects)
    assert once is not None
    deduped = _indexed(_dedupe(objects))
    assert deduped is not None
    assert shape(once) == shape(deduped)
    return once


def test_copies_keep_the_first_place_and_the_newest_version() -> None:
    first, other = pod("a", "5", "u1"), pod("b", "7", "u2")
    newer = pod("a", "9", "u1", node="n2")  # moved: its index keys differ from the first copy's
    older = pod("a", "3", "u1", node="n3")
    recreated = pod("b", "8", "u3")  # same name, a new uid: the old uid is no longer in the snapshot
    tied = pod("c", "4", "u4")
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "uid": "n-1"}}
    tables = agrees([first, node, other, newer, older, recreated, tied, copy.deepcopy(tied)])
    assert [o["metadata"]["resourceVersion"] for o in tables["by_kind"]["Pod"]] == ["9", "8", "4"]
    assert tables["objects"][0] is newer and tables["objects"][1] is node
    assert "u2" not in tables["by_uid"] and tables["by_uid"]["u3"] is recreated
    assert [o["metadata"]["name"] for o in tables["indexes"]["pods_by_node"]["n2"]] == ["a"]
    assert "n3" not in tables["indexes"]["pods_by_node"]
    assert tables["by_kind"]["Pod"][2] is not tied  # a tie goes to the later copy, as _dedupe has it


def test_a_uid_two_objects_hold_goes_to_the_later_kept() -> None:
    tables = agrees([pod("x", "1", "uX"), pod("y", "1", "uX"), pod("x", "2", "uX"), pod("z", "1", "uZ")])
    assert tables["by_uid"]["uX"]["metadata"]["name"] == "y"


def test_a_key_held_in_two_api_groups_is_de_duplicated_first() -> None:
    objects = [pod("a", "1", "u1"), pod("a", "2", "u2", api="example.io/v1")]
    assert _indexed(objects) is None
    snap = Snapshot(objects=objects, at=AT, source=SourceInfo("dump", "-"))
    assert len(snap.objects) == 2 and snap.get("Pod", "ns1", "a") is objects[1]


def test_an_unreadable_index_field_is_warned_of_in_object_order() -> None:
    bad = pod("x", "1", "u9")
    bad["metadata"]["ownerReferences"] = ["not a mapping"]
    tables = agrees([pod("a", "1", "u1"), bad, pod("a", "2", "u1")])
    assert len(tables["unindexed"]) == 1 and "Pod/ns1/x" in tables["unindexed"][0]


def test_a_simulated_must_gather_with_its_copies(simulated: SimulateFn) -> None:
    path, _ = simulated(("handler-crashloop",), nodes=4, vms=30, fmt="json")
    objects = read_dump(path, processes=1).objects
    keys = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]
    assert len(set(keys)) < len(keys)  # the gatherer writes some pods twice: the path with copies is taken
    agrees(objects)
