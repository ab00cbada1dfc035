"""A LIST answer read as it streams in (sources/live/list_body.py): the same items and metadata as parsing it whole,
however it is cut into chunks, whatever its items hold, and whether it is cut item by item or streamed."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from virt_doctor.sources.live import list_body
from virt_doctor.sources.live.list_body import NotAList, read_list


def pieces(body: bytes, size: int) -> list[bytes]:
    return [body[i:i + size] for i in range(0, len(body), size)]


def read(body: bytes, size: int, each: Any = None) -> tuple[list[dict[str, Any]], dict[str, Any], int]:
    return read_list(iter(pieces(body, size)), each or (lambda item: item))


def pod_list(items: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> bytes:
    """As the API server writes a built-in kind's list: kind, apiVersion, metadata, then the items."""
    return orjson.dumps({"kind": "PodList", "apiVersion": "v1",
                         "metadata": meta or {"resourceVersion": "42", "continue": "tok=="}, "items": items})


def vm_list(items: list[dict[str, Any]]) -> bytes:
    """As it writes a custom resource's list: keys sorted, so the metadata (and continue token) after the items."""
    return orjson.dumps({"apiVersion": "kubevirt.io/v1", "items": items, "kind": "VirtualMachineList",
                         "metadata": {"continue": "eyJ2IjoibWV0YSJ9", "resourceVersion": "4711"}},
                        option=orjson.OPT_SORT_KEYS) + b"\n"


def vm(i: int) -> dict[str, Any]:
    """A VM whose nested templates open exactly as a VM does, and whose strings hold the bytes a cut looks for."""
    template = {"apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume", "metadata": {"name": f"dv-{i}"}}
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
            "metadata": {"name": f"vm-{i}", "annotations": {"note": '},{"apiVersion": "x"} ] }],"kind":"y'}},
            "spec": {"dataVolumeTemplates": [template, {**template, "metadata": {"name": f"dv-{i}-b"}}],
                     "running": True, "ratio": 0.25},
            "status": {"reason": "not supported for [cloudinitdisk]", "n": None}}


@pytest.mark.parametrize("size", [1, 7, 4096, 10**7])
def test_items_and_metadata_survive_any_chunking(size: int) -> None:
    items = [{"metadata": {"name": f"pod-{i}", "labels": {"a": "ü"}},
              "spec": {"n": i, "ratio": 0.5, "x": None, "containers": [{"metadata": {}}, {"metadata": {"b": 1}}]}}
             for i in range(50)]
    body = pod_list(items)
    assert read(body, size) == (items, {"resourceVersion": "42", "continue": "tok=="}, len(body))


@pytest.mark.parametrize("size", [1, 13, 70000])
@pytest.mark.parametrize("count", [0, 1, 3, 2000])
def test_custom_resources_write_their_metadata_after_the_items(size: int, count: int) -> None:
    """Nested objects that open like an item, and "]" or "},{" inside strings, never cut an item short."""
    items = [vm(i) for i in range(count)]
    body = vm_list(items)
    assert read(body, size) == (items, {"continue": "eyJ2IjoibWV0YSJ9", "resourceVersion": "4711"}, len(body))


def test_each_item_is_passed_on_as_it_is_read_and_may_be_left_out() -> None:
    seen: list[str] = []

    def each(item: dict[str, Any]) -> dict[str, Any] | None:
        seen.append(item["metadata"]["name"])
        return None if item["metadata"]["name"].endswith("1") else {"name": item["metadata"]["name"]}

    items, _, _ = read(vm_list([vm(i) for i in range(12)]), 100, each)
    assert seen == [f"vm-{i}" for i in range(12)]
    assert items == [{"name": f"vm-{i}"} for i in range(12) if i not in (1, 11)]


def test_items_are_cut_out_one_by_one_not_held_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each item is parsed on its own: no parse sees more than one item (and its nested false starts)."""
    parsed: list[int] = []
    loads = orjson.loads

    def counted(data: bytes | bytearray) -> Any:
        parsed.append(len(data))
        return loads(data)

    monkeypatch.setattr(list_body.orjson, "loads", counted)
    items = [vm(i) for i in range(300)]
    body = vm_list(items)
    assert read(body, 4096)[0] == items
    largest_item = max(len(orjson.dumps(i, option=orjson.OPT_SORT_KEYS)) for i in items)
    assert max(parsed) <= largest_item + 2 and len(parsed) >= 300


def test_items_that_do_not_all_open_alike_are_still_read() -> None:
    """One item written with another key first: the cut misses its start, the rest is read as one list."""
    body = pod_list([{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]).replace(
        b'{"metadata":{"name":"b"}}', b'{"kind":"Pod","metadata":{"name":"b"}},{"metadata":{"name":"c"}}')
    items, meta, _ = read(body, 5)
    assert [i["metadata"]["name"] for i in items] == ["a", "b", "c"] and meta["resourceVersion"] == "42"


@pytest.mark.parametrize("size", [1, 64, 10**6])
@pytest.mark.parametrize("count", [40, 400])
def test_an_indented_answer_streams_to_the_same_items(size: int, count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not written compactly (a proxy that re-indents): read whole when small, else parsed as it streams (ijson);
    the same result as the compact answer cut item by item."""
    streamed: list[int] = []
    stream = list_body._streamed
    monkeypatch.setattr(list_body, "_streamed", lambda *args: streamed.append(1) or stream(*args))
    items = [vm(i) for i in range(count)]
    compact = vm_list(items)
    indented = json.dumps(orjson.loads(compact), indent=2).encode()
    spaced = pod_list(items).replace(b'"items":[', b'"items": [ ')
    assert read(compact, size)[:2] == (items, orjson.loads(compact)["metadata"]) and not streamed
    assert read(indented, size)[:2] == (items, orjson.loads(compact)["metadata"])
    assert read(spaced, size)[:2] == (items, {"resourceVersion": "42", "continue": "tok=="})
    assert len(streamed) == (2 if len(indented) > list_body.HEAD else 0)


@pytest.mark.parametrize("body", [
    b'{"kind":"PodList","items":[{"metadata":{"name":"a"}},{"metadata":{"na',
    b'{"kind":"PodList","items":[{"metadata":{"name":"a"}},3]}',
    b'{"kind":"PodList","items":[3]}',
    b'{"kind":"PodList","items":[{"metadata":{"name":"a"}}',
    b'not json at all',
    b'{"kind": "PodList", "items": [{"metadata": {}}, 7]}',
])
def test_a_body_that_is_no_list_of_objects_is_refused(body: bytes) -> None:
    with pytest.raises(NotAList):
        read(body, 3)


def test_a_body_without_items_is_an_empty_list_with_its_metadata() -> None:
    assert read(b'{"kind":"Status","status":"Failure"}', 4)[:2] == ([], {})
    assert read(pod_list([]), 4)[:2] == ([], {"resourceVersion": "42", "continue": "tok=="})
