"""The deep rules on real KubeVirt objects (tests/fixtures/samples), not on the simulator's."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from tests.conftest import scan

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"


def load(rel: str) -> dict:
    return yaml.safe_load((SAMPLES / rel).read_text())


def dump(root: Path, objects: list[dict], listed: tuple[tuple[str, str], ...] = ()) -> Path:
    """The objects as one `kubectl get -o yaml` List (their kinds listed where they are), and an empty
    inspect list for each (plural, namespace) in `listed` (listed there, none found)."""
    root.mkdir()
    (root / "objects.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": objects}))
    for plural, namespace in listed:
        (root / "namespaces" / namespace / "core").mkdir(parents=True)
        (root / "namespaces" / namespace / "core" / f"{plural}.yaml").write_text("apiVersion: v1\nkind: List\nitems: []\n")
    (root / "timestamp").write_text("2025-06-01 10:30:00.000 +0000 UTC m=+0.01\n")
    return root


def test_orphaned_vmi_on_a_real_notready_node(tmp_path: Path) -> None:
    node = load("Node/synth-worker-no-virt-handler-notready.yaml")  # worker-2, Ready=Unknown since 10:00
    ds = load("DaemonSet/synth-virt-handler-rollout-failing.yaml")
    vmi = load("VirtualMachineInstance/argocd-healthy_ready.yaml")
    vmi["status"]["nodeName"] = "worker-2"
    vmi["status"]["phase"] = "Running"
    report = scan(dump(tmp_path / "d", [node, ds, vmi, load("KubeVirt/synth-deployed-with-outdated-workloads.yaml")]))
    # No Pod list at all: the orphan check cannot see virt-handler pods, and says so
    coverage = {c.alert: c for c in report.coverage}
    assert coverage["OrphanedVirtualMachineInstances"].status == "skipped"
    assert "Pod" in coverage["OrphanedVirtualMachineInstances"].reason

    launcher = load("Pod/virt-launcher-ocp411-fedora-basic-running.yaml")
    launcher["spec"]["nodeName"] = "worker-2"
    report = scan(dump(tmp_path / "e", [node, ds, vmi, launcher], listed=(("pods", "openshift-cnv"),)))
    orphaned = [f for f in report.findings if f.alert == "OrphanedVirtualMachineInstances"]
    assert [(f.subject.name, f.cause.id, f.state) for f in orphaned] == [("worker-2", "node-not-ready", "firing")]
    assert orphaned[0].since == "2025-06-01T10:00:00Z"
    assert any(e.path == "status.conditions[Ready]" and "Unknown" in str(e.value) for e in orphaned[0].evidence)
    assert "kubectl describe node worker-2" in [s.command for s in orphaned[0].remediation]


def test_real_starting_vm_with_scheduling_vmi_is_stuck_in_unhealthy_state(tmp_path: Path) -> None:
    vm = load("VirtualMachine/argocd-progressing_starting.yaml")  # Starting, created 2021
    vm["metadata"].setdefault("uid", "40e44180-3dfb-4813-ace6-9f2d2c76c326")
    vmi = copy.deepcopy(load("VirtualMachineInstance/argocd-progressing_pending.yaml")["items"][0])  # a List
    assert vmi["status"]["phase"] == "Pending" and "nodeName" not in vmi["status"]
    # without a list of pods in its namespace, whether its launcher pod is bound to a node is unknown
    report = scan(dump(tmp_path / "c", [vm, vmi]))
    assert not [f for f in report.findings if f.alert.startswith("VirtualMachineStuck")]
    coverage = {c.alert: c for c in report.coverage}
    assert coverage["VirtualMachineStuckInUnhealthyState"].reason.startswith(
        "could not judge 1 subject: VirtualMachine/default/testvm (whether its launcher pod is bound to a node: "
        "Pod in namespace default was not seen")
    report = scan(dump(tmp_path / "d", [vm, vmi], listed=(("pods", "default"),)))
    stuck = [f for f in report.findings if f.alert.startswith("VirtualMachineStuck")]
    assert [(f.alert, f.subject.name) for f in stuck] == [("VirtualMachineStuckInUnhealthyState", "testvm")]


def test_real_running_vms_do_not_alert() -> None:
    report = scan(SAMPLES)
    vm_alerts = [f for f in report.findings if f.alert.startswith("VirtualMachineStuck")
                 and f.subject.name in ("fedora02", "fedora06", "cat8kv-01")]
    assert vm_alerts == []
