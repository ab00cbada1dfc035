"""Archives are read within bounds: an oversized member is skipped by its header, before it is expanded."""

from __future__ import annotations

import io
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from virt_doctor.sources import dump as dump_module
from virt_doctor.sources.dump import read_dump

BIG = 32 * 2**20  # expands to 32 MiB; compresses to some KiB
POD = b"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\n"
LOG = "namespaces/ns/pods/p/c/c/logs/current.log"


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _peak_while(fn):  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("make", [_tar, _zip], ids=["tar.gz", "zip"])
def test_an_oversized_member_is_skipped_before_it_is_expanded(tmp_path: Path, make,  # type: ignore[no-untyped-def]
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dump_module, "MAX_OBJECT_FILE", 2**20)  # 1 MiB here; 512 MiB in use
    big_yaml = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {x: '" + b"a" * BIG + b"'}\n"
    archive = make(tmp_path / ("d.tar.gz" if make is _tar else "d.zip"),
                   {"big.yaml": big_yaml, "pod.yaml": POD, LOG: b"early line\n" * (BIG // 11) + b"the last line\n"})
    raw, peak = _peak_while(lambda: read_dump(archive))
    assert [o["kind"] for o in raw.objects] == ["Pod"]
    assert raw.warnings == ["big.yaml: skipped, larger than 1 MiB"] and raw.skipped_files == ["big.yaml"]
    assert raw.logs[("ns", "p", "c")].current[-1] == "the last line"  # the log's tail was kept
    assert peak < BIG / 4, f"peak {peak / 2**20:.1f} MiB: something was expanded whole"


def test_reading_stops_past_the_total_it_may_expand(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "d.tar.gz", {"a.yaml": POD, "b.yaml": POD.replace(b"name: p", b"name: q"),
                                           "c.yaml": POD.replace(b"name: p", b"name: r")})
    raw = dump_module.read_entries(str(archive), dump_module._walk(archive), max_total=2 * len(POD))
    assert [o["metadata"]["name"] for o in raw.objects] == ["p", "q"]
    assert raw.warnings == [f"c.yaml: stopped reading the dump here, past {2 * len(POD) // 2**20} MiB expanded; "
                            "the rest is not read, and nothing in it is claimed absent"]


def test_an_oversized_plain_file_is_skipped_by_its_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dump_module, "MAX_OBJECT_FILE", 2**20)
    (tmp_path / "big.json").write_bytes(b"[" + b"0," * BIG + b"0]")
    (tmp_path / "pod.yaml").write_bytes(POD)
    raw, peak = _peak_while(lambda: read_dump(tmp_path))
    assert raw.skipped_files == ["big.json"] and peak < BIG
