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
                                                              monkeypatch: pytest.MonkeyPatch, tar_reader: str) -> None:
    monkeypatch.setattr(dump_module, "MAX_OBJECT_FILE", 2**20)  # 1 MiB here; 512 MiB in use
    big_yaml = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {x: '" + b"a" * BIG + b"'}\n"
    archive = make(tmp_path / ("d.tar.gz" if make is _tar else "d.zip"),
                   {"big.yaml": big_yaml, "pod.yaml": POD, LOG: b"early line\n" * (BIG // 11) + b"the last line\n"})
    raw, peak = _peak_while(lambda: read_dump(archive))
    assert [o["kind"] for o in raw.objects] == ["Pod"]
    assert raw.warnings == ["big.yaml: skipped, larger than 1 MiB"] and raw.skipped_files == ["big.yaml"]
    assert raw.logs[("ns", "p", "c")].current[-1] == "the last line"  # the log's tail was kept
    assert peak < BIG / 4, f"peak {peak / 2**20:.1f} MiB: something was expanded whole"


def test_reading_stops_past_the_total_it_may_expand(tmp_path: Path, tar_reader: str) -> None:
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


def _config_maps(count: int) -> dict[str, bytes]:
    """Members that do not compress (random payloads), so a cut falls among them and not in libarchive's first
    read-ahead."""
    import base64
    import os

    return {f"ns/c{at:03d}.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d, namespace: ns}\ndata: {x: '"
            % at + base64.b64encode(os.urandom(12_000)) + b"'}\n" for at in range(count)}


@pytest.mark.parametrize("compression", ["gz", "xz"])
def test_a_large_archive_cut_short_reads_the_same_through_either_reader(
        tmp_path: Path, compression: str, tar_reader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    members = _config_maps(50)
    whole = tmp_path / f"d.tar.{compression}"
    with tarfile.open(whole, f"w:{compression}") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    cut = tmp_path / f"cut.tar.{compression}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 6 // 10])
    if tar_reader == "libarchive":  # libarchive reads it itself, no falling back to tarfile
        monkeypatch.setattr(dump_module, "_walk_tarfile", lambda root: pytest.fail(f"fell back to tarfile on {root}"))
    assert len(read_dump(whole).objects) == 50
    raw = read_dump(cut)
    names = [o["metadata"]["name"] for o in raw.objects]
    assert 20 <= len(names) < 35 and names == [f"c{at}" for at in range(len(names))], names
    assert raw.truncated is not None and raw.truncated.startswith(f"{cut}: the archive is cut before byte ")
    # the member the cut falls in is named unreadable, or (libarchive reading ahead) its header is where it stops
    cut_into = f"ns/c{len(names):03d}.yaml"
    assert raw.skipped_files in ([cut_into], [])
    assert [w.split(": ")[0] for w in raw.warnings[1:]] == raw.skipped_files


def test_hard_links_are_passed_over(tmp_path: Path, tar_reader: str) -> None:
    archive = tmp_path / "d.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("a.yaml")
        info.size = len(POD)
        tar.addfile(info, io.BytesIO(POD))
        link = tarfile.TarInfo("b.yaml")
        link.type, link.linkname = tarfile.LNKTYPE, "a.yaml"
        tar.addfile(link)
    raw = read_dump(archive)
    assert [o["metadata"]["name"] for o in raw.objects] == ["p"] and raw.files_read == 1 and not raw.warnings
