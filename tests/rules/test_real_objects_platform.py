"""Issue-3 rules on real KubeVirt objects (tests/fixtures/samples): what fires, and what must not be claimed."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from virt_doctor.report.model import Report
from virt_doctor.rules.engine import evaluate
from virt_doctor.sources.load import load_dump

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
AT = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def samples_report() -> Report:
    return evaluate(load_dump(SAMPLES, at=AT))


def load(rel: str) -> dict:
    return yaml.safe_load((SAMPLES / rel).read_text())


def scan_objects(tmp_path: Path, objects: list[dict]) -> Report:
    (tmp_path / "objects.yaml").write_text(yaml.safe_dump_all(objects))
    return evaluate(load_dump(tmp_path, at=AT))


def by_alert(report: Report, alert: str) -> list[tuple[str, str]]:
    return sorted((f.subject.name, f.cause.id) for f in report.findings if f.alert == alert)


def test_real_not_migratable_vmis_cannot_be_evicted(samples_report: Report) -> None:
    # three OpenShift 4.11 VMIs: evictionStrategy LiveMigrate, LiveMigratable=False (DisksNotLiveMigratable)
    assert by_alert(samples_report, "VMCannotBeEvicted") == [
        ("cat8kv-01", "disks-not-live-migratable"), ("fedora02", "disks-not-live-migratable"),
        ("fedora06", "disks-not-live-migratable")]


def test_real_default_virt_classes_and_profiles(samples_report: Report) -> None:
    multiple = [f for f in samples_report.findings if f.alert == "CDIMultipleDefaultVirtStorageClasses"]
    assert len(multiple) == 1
    assert "lvms-vg1" in multiple[0].summary and "ocs-storagecluster-ceph-rbd-virtualization" in multiple[0].summary
    # the CDI doc's complete hostpath profile is fine; the nfs profile with no claim property sets is not
    assert by_alert(samples_report, "CDIStorageProfilesIncomplete") == [("nfs-client", "unknown-provisioner")]


def test_nothing_claimed_about_objects_the_source_lacks(samples_report: Report) -> None:
    coverage = {c.alert: c for c in samples_report.coverage}
    # single objects, no list of pods or Deployments: "no pod runs" or "deployment missing" would be a guess
    assert coverage["VirtAPIDown"].status == "skipped"
    assert coverage["VirtAPIDown"].reason.startswith("Pod in namespace openshift-cnv was not seen: the dump ")
    # single VM files and no list of VMIs: whether a starting VM has a VMI is unknown, so it is not judged
    stuck = [f for f in samples_report.findings if f.alert == "VirtualMachineStuckInUnhealthyState"]
    assert stuck == []
    reason = coverage["VirtualMachineStuckInUnhealthyState"].reason
    assert coverage["VirtualMachineStuckInUnhealthyState"].status == "evaluated"
    assert reason.startswith("could not judge ") and "VirtualMachineInstance in namespace" in reason, reason
    # and nothing is blamed on a virt-controller the source does not show
    assert all(f.cause.id != "virt-controller-unavailable" for f in samples_report.findings)


def test_downstream_launcher_digests_are_not_outdated(tmp_path: Path) -> None:
    kubevirt = load("KubeVirt/synth-deployed-with-outdated-workloads.yaml")
    vmi = load("VirtualMachineInstance/ocp411-fedora-basic-running-livemigrate-not-migratable.yaml")
    assert "@sha256:" in (vmi["status"].get("launcherContainerImageVersion") or "@sha256:")
    (tmp_path / "a").mkdir()
    report = scan_objects(tmp_path / "a", [kubevirt, vmi])
    assert by_alert(report, "OutdatedVirtualMachineInstanceWorkloads") == []
    labelled = copy.deepcopy(vmi)
    labelled["metadata"]["labels"]["kubevirt.io/outdatedLauncherImage"] = ""
    (tmp_path / "b").mkdir()
    report = scan_objects(tmp_path / "b", [kubevirt, labelled])
    # LiveMigrate is configured; this VMI cannot migrate, so it stays outdated
    assert by_alert(report, "OutdatedVirtualMachineInstanceWorkloads") == [("fedora02", "vmi-not-live-migratable")]


def test_real_rollout_failing_daemonset_without_pods_is_reported_not_guessed(samples_report: Report) -> None:
    found = [f for f in samples_report.findings if f.alert == "VirtHandlerDaemonSetRolloutFailing"]
    assert [(f.subject.name, f.cause.id) for f in found] == [("virt-handler", "unknown")]
    assert "2 of 3 virt-handler pods are ready" in found[0].summary
    # the pods were never listed: the finding says so instead of blaming their absence
    assert any(e.note.startswith("not checked: Pod in namespace openshift-cnv was not seen") for e in found[0].evidence)
