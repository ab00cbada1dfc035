"""Must-gathers read as their gatherers' scripts write them: which gatherer wrote each image directory, what its
scripts prove was listed cluster-wide, two-image dumps, cut archives."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest

from tests.casedumps import CASES, read_case
from tests.scope.removal import created, firing
from virt_doctor.report.model import Report
from virt_doctor.scan import ScanRequest, run_scan
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import IMAGE_DIR, OPENSHIFT_IMAGE_DIR, OpenShiftImage, write_dump
from virt_doctor.sources.dump import read_dump
from virt_doctor.sources.gatherers import CRD_DIR
from virt_doctor.timeutil import parse_duration

ALERT = "VirtualMachineStuckInUnhealthyState"
STUCK_CASES = [p for p in CASES if p.parent.name == ALERT]
# the cases whose VM never gets a VMI: what the runbook is about, and what a VMI-less namespace must not hide
WITHOUT_VMI = {"datavolume-import-failure", "invalid-spec", "no-default-storage-class", "pvc-not-bound",
               "stuck-finalizer", "virt-controller-unavailable"}


def scan(path: Path, only: list[str] | None = None) -> Report:
    return run_scan(ScanRequest(source=path, only=only)).report


def coverage(report: Report, alert: str) -> str:
    return next(f"{c.status}: {c.reason}" for c in report.coverage if c.alert == alert)


def test_each_image_directory_is_recognised_with_what_its_scripts_listed(tmp_path: Path) -> None:
    cluster = simulate(nodes=3, vms=4, seed=7)
    dump = write_dump(cluster, tmp_path / "dump", openshift=OpenShiftImage("4.18.3"))
    report = scan(dump)
    gatherers = {g["gatherer"]: g for g in report.source["gatherers"]}
    assert set(gatherers) == {"kubevirt/must-gather", "openshift/must-gather"}
    kubevirt, openshift = gatherers["kubevirt/must-gather"], gatherers["openshift/must-gather"]
    assert kubevirt["path"] == IMAGE_DIR and kubevirt["version"] == "v1.5.2"
    assert openshift["path"] == OPENSHIFT_IMAGE_DIR and openshift["version"] == "4.18.3"
    assert "VirtualMachineInstance (cluster-wide): gather_crs (every CR of the CRD, all namespaces)" in kubevirt["listed"]
    assert "VirtualMachine (cluster-wide): gather_virtualmachines (vmConvertor lists every VM)" in kubevirt["listed"]
    assert "PersistentVolumeClaim (cluster-wide): gather_cdi (inspects every PVC)" in kubevirt["listed"]
    assert openshift["listed"] == ["Lease (cluster-wide): gather (oc adm inspect leases --all-namespaces)"]
    # the default image collects Leases: the leader alerts are judged, where the kubevirt image alone cannot
    assert coverage(report, "NoLeadingVirtOperator").startswith("evaluated")
    alone = scan(write_dump(cluster, tmp_path / "alone"))
    assert "Lease in namespace openshift-cnv was not seen" in coverage(alone, "NoLeadingVirtOperator")
    assert [g["gatherer"] for g in alone.source["gatherers"]] == ["kubevirt/must-gather"]


def test_an_inspect_directory_without_a_version_file_proves_only_its_own_lists(tmp_path: Path) -> None:
    dump = write_dump(simulate(nodes=3, vms=4, seed=7), tmp_path / "dump")
    (dump / IMAGE_DIR / "version").unlink()
    raw = read_dump(dump)
    assert [(g["gatherer"], g["listed"]) for g in raw.gatherers.describe()] == [("oc adm inspect", [])]
    assert not raw.scopes.get(("VirtualMachineInstance", ""))


@pytest.mark.parametrize("case_file", STUCK_CASES, ids=[p.stem for p in STUCK_CASES])
def test_a_vm_without_a_vmi_is_judged_where_the_gatherer_listed_vmis_everywhere(case_file: Path,
                                                                               tmp_path: Path) -> None:
    """One VM in its namespace: when its fault leaves it without a VMI, the namespace has no VMI file at all."""
    case = read_case(case_file)
    cluster = simulate(nodes=3, vms=1, faults=[case["fault"]], seed=7, fault_age=parse_duration(str(case.get("age", "30m"))))
    dump = write_dump(cluster, tmp_path / "dump")
    vm = next(o for o in cluster.objects() if o["kind"] == "VirtualMachine")
    namespace = vm["metadata"]["namespace"]
    if any(o["kind"] == "VirtualMachineInstance" for o in cluster.objects()):
        assert case_file.stem not in WITHOUT_VMI
        return
    assert case_file.stem in WITHOUT_VMI
    assert not (dump / IMAGE_DIR / "namespaces" / namespace / "crs" / "virtualmachineinstances.kubevirt.io").exists()
    found = [(f.subject.name, f.cause.id) for f in scan(dump, [ALERT]).findings]
    assert found == [(vm["metadata"]["name"], case["expect"]["cause"])]
    # without gather_crds' VMI definition nothing proves the VMIs were listed: the VM is not judged
    (dump / IMAGE_DIR / CRD_DIR / "virtualmachineinstances.kubevirt.io.yaml").unlink()
    report = scan(dump, [ALERT])
    assert report.findings == ()
    assert f"VirtualMachineInstance in namespace {namespace} was not seen" in coverage(report, ALERT)


def test_every_cause_without_a_vmi_has_a_case() -> None:
    assert {p.stem for p in STUCK_CASES} >= WITHOUT_VMI


def test_the_gatherer_must_have_finished_listing(tmp_path: Path) -> None:
    """gather_crs is proven to have finished only by a collector that runs after it: without one (the dump was
    taken while the gatherer ran, or its later output is missing) a namespace's VMIs are not claimed absent."""
    cluster = simulate(nodes=3, vms=1, faults=["vm-invalid-spec"], seed=7)
    dump = write_dump(cluster, tmp_path / "dump")
    shutil.rmtree(dump / IMAGE_DIR / "virtualization")
    report = scan(dump, [ALERT])
    assert report.findings == () and "VirtualMachineInstance in namespace" in coverage(report, ALERT)


def _cut(archive: Path, at: int, out: Path) -> Path:
    out.write_bytes(archive.read_bytes()[:at])
    return out


def test_a_cut_archive_is_read_up_to_the_cut_and_claims_nothing_after_it(tmp_path: Path, tar_reader: str) -> None:
    cluster = simulate(nodes=3, vms=12, faults=["vm-invalid-spec", "handler-crashloop"], seed=7)
    archive = write_dump(cluster, tmp_path / "dump.tar.gz", archive=True)
    full = scan(archive)
    before = firing(full)
    assert before, "the whole archive has findings to compare with"
    size = archive.stat().st_size
    seen_cut = 0
    for fraction in (0.35, 0.5, 0.7, 0.85, 0.97):
        cut = _cut(archive, int(size * fraction), tmp_path / f"cut-{fraction}.tar.gz")
        try:
            report = scan(cut)
        except Exception as exc:  # only "no objects before the cut" may stop a scan, with one clear line
            assert "no Kubernetes objects found" in str(exc)
            continue
        seen_cut += 1
        assert report.warnings[0].startswith(f"{cut}: the archive is cut before byte ")
        assert "nothing in it is claimed absent" in report.warnings[0]
        assert created(before, firing(report)) == [], fraction
        # what was read is used: files before the cut are scanned
        assert report.source["files_read"] < full.source["files_read"]
    assert seen_cut >= 4


@pytest.mark.parametrize(("magic", "said"), [(b"\x1f\x8b", "a gzip file"), (b"\x28\xb5\x2f\xfd", "a zstd file")])
def test_an_archive_that_is_not_one_is_refused(tmp_path: Path, tar_reader: str, magic: bytes, said: str) -> None:
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(magic + b"\x00" * 20)
    with pytest.raises(Exception, match=f"{said} that holds no readable tar archive|corrupt archive") as raised:
        read_dump(bad)
    assert "\n" not in str(raised.value)


def test_a_cut_plain_tar_names_the_offset(tmp_path: Path, tar_reader: str) -> None:
    dump = write_dump(simulate(nodes=3, vms=4, seed=7), tmp_path / "dump")
    plain = tmp_path / "dump.tar"
    with tarfile.open(plain, "w") as tar:
        tar.add(dump, arcname="dump")
    cut = _cut(plain, plain.stat().st_size // 2 + 100, tmp_path / "cut.tar")
    raw = read_dump(cut)
    assert raw.truncated is not None and "cut before byte" in raw.truncated
    offset = int(raw.truncated.split("cut before byte ")[1].split()[0])
    # where the tar stream ran out: past the cut, and no further than the member it cut into
    assert cut.stat().st_size <= offset <= plain.stat().st_size
    assert not raw.scopes.get(("VirtualMachineInstance", ""))  # no gatherer proof from a cut archive


@pytest.mark.parametrize("body", [b"<html>Service Unavailable</html>",
                                  b'{"status":"error","errorType":"unavailable","error":"no ready replica"}',
                                  b'{"status":"success","data":{"targets":[]}}',
                                  b'{"status":"success","data":{"groups":[{"name":"x"}]}}'],
                         ids=["html", "api-error", "other-endpoint", "groups-without-rules"])
def test_a_rules_json_that_is_not_the_api_answer_is_a_warning(body: bytes, tmp_path: Path) -> None:
    dump = write_dump(simulate(nodes=3, vms=4, seed=7), tmp_path / "dump", openshift=OpenShiftImage("4.18.3", body))
    report = scan(dump)
    where = f"{OPENSHIFT_IMAGE_DIR}/monitoring/prometheus/rules.json"
    assert [w for w in report.warnings if w.startswith(where)] == [next(w for w in report.warnings if where in w)]
    assert "not Prometheus' rules API answer" in next(w for w in report.warnings if where in w)
    assert coverage(report, "NodeNetworkInterfaceDown") == "skipped: needs Prometheus (--prometheus)"
    assert "prometheus_at_collection" not in report.source
    assert report.coverage and report.findings == ()  # the scan went on


def test_a_healthy_dump_without_vms_is_judged_where_the_gatherer_listed_everywhere(tmp_path: Path) -> None:
    """No VM, no VMI, no migration: no file of them anywhere. The gatherer's proof says there are none, so the
    alerts about them are evaluated (and quiet); without the proof they are skipped, never guessed."""
    dump = write_dump(simulate(nodes=3, vms=0, seed=7), tmp_path / "dump")
    wanted = ["KubeVirtVMIExcessiveMigrations", "OrphanedVirtualMachineInstances", "VMCannotBeEvicted",
              "VirtualMachineStuckInUnhealthyState", "KubeMacPoolDuplicateMacsFound"]
    proven = scan(dump, wanted)
    assert proven.findings == () and all(coverage(proven, a).startswith("evaluated") for a in wanted)
    shutil.rmtree(dump / IMAGE_DIR / "cluster-scoped-resources" / "apiextensions.k8s.io")
    unproven = scan(dump, wanted)
    assert unproven.findings == () and all(coverage(unproven, a).startswith("skipped") for a in wanted)
    assert "VirtualMachineInstanceMigration (cluster-wide) was not seen" in \
        coverage(unproven, "KubeVirtVMIExcessiveMigrations")


def test_kubectl_output_is_its_own_gatherer(tmp_path: Path) -> None:
    listing = tmp_path / "vms.yaml"
    listing.write_text("apiVersion: v1\nkind: List\nitems:\n- apiVersion: kubevirt.io/v1\n  kind: VirtualMachine\n"
                       "  metadata: {name: a, namespace: dev, creationTimestamp: '2026-11-01T00:00:00Z'}\n")
    raw = read_dump(listing)
    assert [(g["gatherer"], g["listed"]) for g in raw.gatherers.describe()] == [("kubectl get -o yaml", [])]
    assert raw.scopes[("VirtualMachine", "dev")] == "listed"  # the List shows what it listed, nothing more


def test_virt_doctors_own_collect_is_recognised_by_its_record_of_what_was_seen(tmp_path: Path) -> None:
    from virt_doctor.sources.collect import collect_files
    from virt_doctor.sources.dump import in_memory, read_entries

    raw = read_dump(write_dump(simulate(nodes=3, vms=4, seed=7), tmp_path / "dump"))
    assert raw.collected_at is not None
    files = collect_files(raw, raw.collected_at)
    again = read_entries("collected", in_memory(sorted(files.items())))
    assert [g["gatherer"] for g in again.gatherers.describe()] == ["virt-doctor collect"]
    assert again.scopes[("VirtualMachineInstance", "")] == "listed"  # what the record says, carried over


def test_a_cut_that_loses_every_vmi_claims_none_absent(tmp_path: Path, tar_reader: str) -> None:
    """The archive holds the gatherer's proofs (CRD definitions, its later collectors' files) before the cut and
    the VMIs after it: were the proofs believed, every running VM would look VMI-less."""
    cluster = simulate(nodes=3, vms=12, seed=7)
    dump = write_dump(cluster, tmp_path / "dump")
    files = sorted(p for p in dump.rglob("*") if p.is_file())
    vmis = [p for p in files if "virtualmachineinstances.kubevirt.io" in p.parts and CRD_DIR not in str(p)]
    assert len(vmis) >= 10
    archive = tmp_path / "ordered.tar"
    with tarfile.open(archive, "w") as tar:
        for path in [p for p in files if p not in vmis] + vmis:  # the VMIs last, as a tar may well be ordered
            tar.add(path, arcname=str(path.relative_to(tmp_path)))
    whole = scan(archive)
    assert whole.findings == ()
    assert read_dump(archive).scopes[("VirtualMachineInstance", "")] == "listed"  # the proof holds, read whole
    cut = _cut(archive, archive.stat().st_size - 10 * 1024 * 2, tmp_path / "cut.tar")  # into the last VMIs
    raw = read_dump(cut)
    assert raw.truncated is not None and not raw.scopes.get(("VirtualMachineInstance", ""))
    assert firing(scan(cut)) == {}
