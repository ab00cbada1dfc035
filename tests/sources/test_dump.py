"""Reading dumps: every container format, every document shape, bad input named and survived."""

from __future__ import annotations

import io
import shutil
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import SimulateFn
from virt_doctor.errors import SourceError
from virt_doctor.snapshot.snapshot import LogTable
from virt_doctor.sources.dump import read_dump
from virt_doctor.sources.load import load_dump

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


POD = """apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: ns1, uid: uid-%s, resourceVersion: "%s", creationTimestamp: "2026-11-20T08:00:00Z"}
spec: {nodeName: n1}
status: {phase: Running}
"""


def test_directory_tar_targz_and_zip_read_the_same(simulated: SimulateFn, tmp_path: Path, tar_reader: str) -> None:
    path, _ = simulated(nodes=2, vms=4)
    from_dir = load_dump(path)
    tar_path = tmp_path / "dump.tar"
    with tarfile.open(tar_path, "w") as tar:
        tar.add(path, arcname="must-gather.local.123")
    tgz_path = tmp_path / "dump.tgz"
    with tarfile.open(tgz_path, "w:gz") as tar:
        tar.add(path, arcname="must-gather.local.123")
    zip_path = Path(shutil.make_archive(str(tmp_path / "dump"), "zip", path))
    keys = sorted(from_dir.by_key)
    for archive in (tar_path, tgz_path, zip_path):
        snap = load_dump(archive)
        assert sorted(snap.by_key) == keys, archive
        assert snap.at == from_dir.at == datetime(2026, 11, 20, 9, 14, 3, 118000, tzinfo=UTC)
        assert isinstance(snap.logs, LogTable) and isinstance(from_dir.logs, LogTable)
        assert len(snap.logs.logs) == len(from_dir.logs.logs) > 0


def test_lists_multi_documents_and_typed_lists(tmp_path: Path) -> None:
    write(tmp_path, "a/pods.yaml", "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: p1, namespace: ns1}\n"
                                   "- metadata: {name: p2, namespace: ns1}\n")
    write(tmp_path, "b/multi.yaml", (POD % ("p3", "3", "1")) + "---\n" + (POD % ("p4", "4", "1")))
    write(tmp_path, "c/list.json", '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Node",'
                                   '"metadata":{"name":"n1"}}]}')
    write(tmp_path, "d/empty.yaml", "apiVersion: v1\nkind: List\nitems: []\n")
    raw = read_dump(tmp_path)
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in raw.objects)
    assert kinds == [("Node", "n1"), ("Pod", "p1"), ("Pod", "p2"), ("Pod", "p3"), ("Pod", "p4")]
    assert not raw.warnings
    assert raw.skipped_files == []


def test_bad_files_are_named_and_the_rest_is_read(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", POD % ("p1", "1", "1"))
    write(tmp_path, "broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n")
    write(tmp_path, "nokind.yaml", "apiVersion: v1\nmetadata: {name: x}\n")
    write(tmp_path, "bad.json", "{not json")
    write(tmp_path, "flatmeta.yaml", "apiVersion: v1\nkind: Pod\nmetadata: p2\n")
    write(tmp_path, "liststatus.json", '{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}, "status": []}')
    (tmp_path / "latin1.yaml").write_bytes(b"kind: Pod\nmetadata: {name: caf\xe9}\n")
    raw = read_dump(tmp_path)
    assert [o["metadata"]["name"] for o in raw.objects] == ["p1"]
    text = "\n".join(raw.warnings)
    assert "broken.yaml:" in text and "invalid YAML" in text
    assert any(w.startswith("broken.yaml:4") or w.startswith("broken.yaml:5") for w in raw.warnings), raw.warnings
    assert "nokind.yaml: object without kind" in text
    assert "bad.json: invalid JSON" in text
    assert "latin1.yaml: not UTF-8" in text
    assert "flatmeta.yaml: object with a metadata that is a str, not a mapping" in text
    assert "liststatus.json: object with a status that is a list, not a mapping" in text
    assert sorted(raw.skipped_files) == ["bad.json", "broken.yaml", "flatmeta.yaml", "latin1.yaml",
                                         "liststatus.json", "nokind.yaml"]


def test_unreadable_sources_are_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_dump(tmp_path / "missing")
    write(tmp_path, "empty/readme.txt", "nothing here")
    with pytest.raises(SourceError, match="no Kubernetes objects"):
        read_dump(tmp_path / "empty")
    good = tmp_path / "good.tar.gz"
    with tarfile.open(good, "w:gz") as tar:
        data = (POD % ("p1", "1", "1")).encode() * 2000
        info = tarfile.TarInfo("pods/p1.yaml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(SourceError, match="truncated.tar.gz"):
        read_dump(truncated)
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(SourceError, match="garbage.zip"):
        read_dump(garbage)


def test_duplicates_keep_the_newest_resource_version(tmp_path: Path) -> None:
    write(tmp_path, "namespaces/ns1/core/pods.yaml",
          "apiVersion: v1\nkind: List\nitems:\n" + "\n".join("- " + line if i == 0 else "  " + line
                                                          for i, line in enumerate((POD % ("p1", "1", "900")).splitlines())))
    write(tmp_path, "namespaces/ns1/pods/p1/p1.yaml", POD.replace("Running", "Pending") % ("p1", "1", "1000"))
    write(tmp_path, "namespaces/ns1/pods/p1/old.yaml", POD.replace("Running", "Failed") % ("p1", "1", "80"))
    snap = load_dump(tmp_path, at=datetime(2026, 11, 20, tzinfo=UTC))
    assert len(snap.kind("Pod")) == 1
    assert snap.get("Pod", "ns1", "p1")["status"]["phase"] == "Pending"  # type: ignore[index]


def test_evaluation_time_precedence(tmp_path: Path) -> None:
    write(tmp_path, "pod.yaml", POD % ("p1", "1", "1"))
    write(tmp_path, "node.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n1, creationTimestamp: '2026-01-01T00:00:00Z'}\n"
                                 "status:\n  conditions:\n  - {type: Ready, status: 'True', "
                                 "lastHeartbeatTime: '2026-11-20T08:59:30Z', lastTransitionTime: '2026-02-01T00:00:00Z'}\n")
    assert load_dump(tmp_path).at == datetime(2026, 11, 20, 8, 59, 30, tzinfo=UTC)  # newest timestamp inside
    write(tmp_path, "timestamp", "2026-11-20 09:14:03.118 +0000 UTC m=+0.06\n2026-11-20 09:16:40.001 +0000 UTC m=+157\n")
    write(tmp_path, "deeper/timestamp", "2020-01-01 00:00:00.000 +0000 UTC m=+0.01\n")
    snap = load_dump(tmp_path)
    assert snap.at == snap.collected_at == datetime(2026, 11, 20, 9, 14, 3, 118000, tzinfo=UTC)
    at = datetime(2026, 11, 21, tzinfo=UTC)
    assert load_dump(tmp_path, at=at).at == at


def test_logs_are_indexed_by_pod_and_container(tmp_path: Path) -> None:
    write(tmp_path, "namespaces/ns1/pods/p1/p1.yaml", POD % ("p1", "1", "1"))
    write(tmp_path, "namespaces/ns1/pods/p1/c1/c1/logs/current.log", "line one\nline two\n")
    write(tmp_path, "namespaces/ns1/pods/p1/c1/c1/logs/previous.insecure.log", "crashed\n")
    write(tmp_path, "namespaces/cdi/importer-x/importer-x.log", "import failed\n")
    snap = load_dump(tmp_path)
    log = snap.log("ns1", "p1", "c1")
    assert log is not None and log.current == ["line one", "line two"] and log.previous == ["crashed"]
    assert log.paths["previous"].endswith("previous.insecure.log")
    cdi = snap.log("cdi", "importer-x", "")  # the CDI collector's own layout: namespaces/<ns>/<pod>/<pod>.log
    assert cdi is not None and cdi.current == ["import failed"] and cdi.path.endswith("importer-x/importer-x.log")


def test_secret_payloads_are_dropped(tmp_path: Path) -> None:
    write(tmp_path, "secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns1}\n"
                                   "data: {password: c2VjcmV0}\nstringData: {token: abc}\n")
    snap = load_dump(tmp_path, at=datetime(2026, 11, 20, tzinfo=UTC))
    secret = snap.get("Secret", "ns1", "s")
    assert secret is not None and "data" not in secret and "stringData" not in secret


def test_real_kubevirt_samples_load_cleanly() -> None:
    """The reference samples are real objects (comment headers, anchors, unquoted timestamps)."""
    snap = load_dump(SAMPLES, at=datetime(2026, 11, 20, tzinfo=UTC))
    assert not [w for w in snap.source.warnings if "fragments" not in w], snap.source.warnings
    vms = {(v["metadata"].get("namespace"), v["metadata"]["name"]) for v in snap.kind("VirtualMachine")}
    # the six argocd fixtures are one VM default/testvm in six states: de-duplicated to one
    assert {("default", "testvm"), ("default", "fedora02"), ("test-migration", "vm1")} <= vms
    assert len(snap.kind("VirtualMachine")) == len(vms)
    assert any("fragments/vm-manualrecoveryrequired-user-guide.yaml: object without kind" in w
               for w in snap.source.warnings)
    node = snap.get("Node", "", "worker-2")
    assert node is not None
    assert node["status"]["allocatable"]["devices.kubevirt.io/kvm"] == "1k"  # the YAML anchor was resolved
    launcher = next(p for p in snap.kind("Pod") if p["metadata"]["name"] == "virt-launcher-fedora02-jk74x")
    assert launcher["metadata"]["labels"]["kubevirt.io"] == "virt-launcher"


def test_null_items_and_new_style_events(tmp_path: Path) -> None:
    write(tmp_path, "namespaces/ns1/core/pods.yaml", "apiVersion: v1\nkind: PodList\nitems: null\n")
    write(tmp_path, "pod.yaml", POD % ("p1", "1", "1"))
    write(tmp_path, "events.yaml", "apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {name: e1, namespace: ns1}\n"
                                   "reason: FailedMount\nnote: 'MountVolume.SetUp failed for volume \"x\"'\n"
                                   "regarding: {kind: Pod, namespace: ns1, name: p1}\n"
                                   "eventTime: '2026-11-20T08:59:00.000000Z'\n")
    snap = load_dump(tmp_path, at=datetime(2026, 11, 20, 9, tzinfo=UTC))
    assert not snap.kind("List") and not snap.kind("PodList")
    from virt_doctor.rules.diagnose.evidence import event_evidence

    events = snap.events_for(snap.get("Pod", "ns1", "p1"))  # type: ignore[arg-type]
    assert [event_evidence(e).value for e in events] == ['MountVolume.SetUp failed for volume "x"']


def test_a_single_object_file_is_a_source(tmp_path: Path) -> None:
    single = write(tmp_path, "objects.yaml", (POD % ("p1", "1", "1")) + "---\n" + (POD % ("p2", "2", "1")))
    snap = load_dump(single, at=datetime(2026, 11, 20, tzinfo=UTC))
    assert sorted(p["metadata"]["name"] for p in snap.kind("Pod")) == ["p1", "p2"]
    text = write(tmp_path, "notes.txt", "hello")
    with pytest.raises(SourceError, match=r"notes.txt: a text file, not a dump \(give a directory, .tar") as raised:
        read_dump(text)
    assert "\n" not in str(raised.value)  # one line: no listing of every decompressor tried
    empty = write(tmp_path, "empty.tar.gz", "")
    with pytest.raises(SourceError, match=r"empty.tar.gz: an empty file, not a dump"):
        read_dump(empty)


@pytest.mark.parametrize(("text", "objects", "warning", "skipped"), [
    ('{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}', ["n1"], None, False),
    ('{"apiVersion": "v1", "metadata": {"name": "x"}}', [], "one.json: object without kind; skipped", True),
    # a malformed object of a List kind without items reads as an empty list: named, but not skipped
    ('{"apiVersion": "v1", "kind": "NodeList", "metadata": "x"}', [],
     "one.json: object with a metadata that is a str, not a mapping; skipped", False),
    ('{"apiVersion": "v1", "kind": "NodeList", "items": [{"metadata": {"name": "n2"}}]}', ["n2"], None, False),
])
def test_a_file_of_one_object_reads_as_the_general_path_does(text: str, objects: list[str], warning: str | None,
                                                              skipped: bool) -> None:
    from virt_doctor.sources.compact import StringPool
    from virt_doctor.sources.dump import parse_object_file

    parsed = parse_object_file("one.json", text.encode(), StringPool())
    assert [o["metadata"]["name"] for o in parsed.objects] == objects
    assert parsed.warnings == ([warning] if warning else [])
    assert (parsed.skipped, parsed.readable, parsed.size) == (skipped, True, len(text))
