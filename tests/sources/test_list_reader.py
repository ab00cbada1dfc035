"""A LIST answer parsed as it streams in: the same items and metadata as parsing it whole, however it is cut."""

from __future__ import annotations

import ijson
import orjson
import pytest

from virt_doctor.sources.live.client import _ListReader


def pieces(body: bytes, size: int) -> list[bytes]:
    return [body[i:i + size] for i in range(0, len(body), size)]


@pytest.mark.parametrize("size", [1, 7, 4096, 10**7])
def test_items_and_metadata_survive_any_chunking(size: int) -> None:
    items = [{"metadata": {"name": f"pod-{i}", "labels": {"a": "ü"}}, "spec": {"n": i, "ratio": 0.5, "x": None}}
             for i in range(50)]
    body = orjson.dumps({"kind": "PodList", "apiVersion": "v1",
                         "metadata": {"resourceVersion": "42", "continue": "tok=="}, "items": items})
    reader = _ListReader(iter(pieces(body, size)))
    parsed = list(ijson.items(reader, "items.item", use_float=True, buf_size=64))
    assert parsed == items
    assert reader.metadata() == {"resourceVersion": "42", "continue": "tok=="}
    assert reader.size == len(body)


@pytest.mark.parametrize("size", [1, 13, 70000])
@pytest.mark.parametrize("count", [0, 3, 2000])
def test_custom_resources_write_their_metadata_after_the_items(size: int, count: int) -> None:
    """A CR list's keys come in alphabetical order: apiVersion, items, kind, metadata (the continue token last)."""
    items = [{"metadata": {"name": f"vm-{i}", "annotations": {"note": '"metadata": {"x"}'}}} for i in range(count)]
    body = orjson.dumps({"apiVersion": "kubevirt.io/v1", "items": items, "kind": "VirtualMachineList",
                         "metadata": {"continue": "eyJ2IjoibWV0YSJ9", "resourceVersion": "4711"}},
                        option=orjson.OPT_SORT_KEYS)
    reader = _ListReader(iter(pieces(body, size)))
    assert list(ijson.items(reader, "items.item", use_float=True)) == items
    assert reader.metadata() == {"continue": "eyJ2IjoibWV0YSJ9", "resourceVersion": "4711"}


def test_a_body_without_items_has_no_metadata_to_guess() -> None:
    reader = _ListReader(iter([b'{"kind":"Status","status":"Failure"}']))
    assert list(ijson.items(reader, "items.item")) == []
    assert reader.metadata() == {}
