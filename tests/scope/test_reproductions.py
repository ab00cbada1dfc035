"""The false findings issue 7 reproduced, each kept as a test: absence is evidence only where it was looked for."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import SimulateFn, scan
from tests.scope.conftest import EXAMPLE
from virt_doctor.report.model import Report

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
MUST_GATHER = "quay-io-kubevirt-must-gather-sha256-5b1f0e8c2d"


def firing(report: Report) -> dict[str, tuple[str, str, str]]:
    return {f.id: (f.alert, f.subject.ref(), f.cause.id) for f in report.findings if f.state == "firing"}


def coverage(report: Report) -> dict[str, tuple[str, str]]:
    return {c.alert: (c.status, c.reason) for c in report.coverage}


def test_no_csidriver_collected_is_not_no_smart_clone(simulated: SimulateFn) -> None:
    path, _ = simulated()
    root = path / MUST_GATHER / "cluster-scoped-resources"
    assert not [f for f in scan(path).findings if f.alert == "CDIDefaultStorageClassDegraded"]
    shutil.rmtree(root / "storage.k8s.io" / "csidrivers")
    shutil.rmtree(root / "volumesnapshotclasses.snapshot.storage.k8s.io")
    report = scan(path)
    assert not [f for f in report.findings if f.alert == "CDIDefaultStorageClassDegraded"]
    status, reason = coverage(report)["CDIDefaultStorageClassDegraded"]
    assert status == "skipped" and "smart cloning cannot be told" in reason
    assert "CSIDriver (cluster-wide) was not seen" in reason or "VolumeSnapshotClass (cluster-wide) was not seen" in reason


def test_install_namespace_pods_not_collected_fire_nothing_new(tmp_path: Path) -> None:
    full = scan(EXAMPLE)
    partial = tmp_path / "example"
    shutil.copytree(EXAMPLE, partial)
    cnv = partial / MUST_GATHER / "namespaces" / "openshift-cnv"
    (cnv / "core" / "pods.yaml").unlink()
    shutil.rmtree(cnv / "pods")
    report = scan(partial)
    assert set(firing(report)) <= set(firing(full)), set(firing(report).values()) - set(firing(full).values())
    cover = coverage(report)
    for alert in ("VirtAPIDown", "NoReadyVirtOperator", "SSPDown", "VirtHandlerDown", "OrphanedVirtualMachineInstances"):
        assert cover[alert] == ("skipped", "Pod in namespace openshift-cnv was not seen: the dump "
                                f"{partial} holds no list of it"), (alert, cover[alert])
    assert not [f for f in report.findings if f.cause.id == "virt-handler-missing"]
    stuck = [f for f in report.findings if f.alert == "VirtualMachineStuckOnNode"]
    assert stuck and all(any((e.note or "").startswith("not checked: virt-handler on ") for e in f.evidence)
                         for f in stuck)


def test_real_objects_claim_nothing_they_hold_no_evidence_of() -> None:
    report = scan(SAMPLES)
    alerts = {f.alert for f in report.findings}
    assert not alerts & {"KubemacpoolDown", "VirtHandlerDown", "OrphanedVirtualMachineInstances", "VirtAPIDown"}
    cover = coverage(report)
    assert cover["KubemacpoolDown"] == ("skipped", "kubemacpool-mac-controller-manager: its namespace is not known "
                                                   "from the source")
    for alert in ("VirtHandlerDown", "OrphanedVirtualMachineInstances"):
        assert cover[alert][0] == "skipped" and "was not seen" in cover[alert][1], cover[alert]
