"""`virt-doctor fix` on the real API server: each action's request, the dry run changing nothing, a stale plan
refused, each guard refusing, an RBAC denial said clearly, the audit trail written; and a cluster with faults an
API change alone can fix, fixed by what virt-doctor proposes, scanned clean again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.live.apiserver import ROOT, ApiServer, Loaded
from tests.live.conftest import now_for_live
from tests.live.rbac import grant, kubeconfig_for
from virt_doctor.remedy.audit import Auditor
from virt_doctor.remedy.fix import StepPlan, apply, plan_steps, preview
from virt_doctor.remedy.request import object_path
from virt_doctor.report.actions import Action
from virt_doctor.report.model import Finding, Step
from virt_doctor.scan import LiveOptions, ScanRequest, ScanResult, run_scan
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate
from virt_doctor.sources.live.client import KubeClient
from virt_doctor.sources.live.connection import connect
from virt_doctor.store.database import open_engine, sessions
from virt_doctor.store.schema import AuditEntry

Load = Callable[[Cluster], Loaded]
VIRT_DOCTOR = Path(sys.executable).parent / "virt-doctor"
REMEDIATOR = ROOT / "deploy" / "base" / "rbac" / "remediator.yaml"
# faults an API change alone can fix (nothing reconciles on this server): a JSON-patch annotation, a stuck
# finalizer, no default storage class; and a taint keeping virt-handler off a node (the taint goes, but only a
# DaemonSet controller would start virt-handler there: the alert stays, its cause moves on)
FIXABLE = ["hco-jsonpatch", "vm-stuck-finalizer", "vm-no-default-storage-class", "handler-taint"]
NEEDS_A_CONTROLLER = {"OrphanedVirtualMachineInstances"}


def scan(kubeconfig: str, cluster: Cluster) -> ScanResult:
    return run_scan(ScanRequest(live=LiveOptions(kubeconfig), at=cluster.at))


def finding(result: ScanResult, alert: str) -> Finding:
    return next(f for f in result.report.findings if f.alert == alert)


def get(kube: ApiServer, action: Action) -> dict[str, Any]:
    with kube.http() as http:
        return http.get(object_path(action)).json()  # type: ignore[no-any-return]


@pytest.fixture
def fixable(cluster_in: Load) -> Cluster:
    cluster = simulate(nodes=3, vms=8, faults=FIXABLE, seed=23, at=now_for_live())
    cluster_in(cluster)
    return cluster


@pytest.mark.slow
def test_applying_what_virt_doctor_proposes_clears_the_alerts(kube: ApiServer, fixable: Cluster,
                                                             tmp_path: Path) -> None:
    """As a user runs it: for each finding with an action, `fix ID --apply --yes`; then the scan is clean of them,
    and every preview and write is in the audit log and the store."""
    before = scan(kube.kubeconfig, fixable).report
    targets = {f.alert: f for f in before.findings if any(s.action for s in f.remediation)}
    assert set(targets) >= {"UnsupportedHCOModification", "OrphanedVirtualMachineInstances",
                            "VirtualMachineStuckInUnhealthyState", "CDINoDefaultStorageClass"}, set(targets)
    log, db = tmp_path / "audit.jsonl", str(tmp_path / "store.db")
    for alert, found in sorted(targets.items()):
        step = next(s for s in found.remediation if s.action)
        done = subprocess.run([str(VIRT_DOCTOR), "fix", found.id, "--kubeconfig", kube.kubeconfig, "--at",
                               fixable.at.isoformat(), "--step", step.id, "--apply", "--yes", "--verify-after", "0s",
                               "--audit-log", str(log), "--db", db], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (alert, done.stdout, done.stderr)
        assert "dry run: accepted" in done.stdout and f"{step.id} on" in done.stderr and "applied" in done.stderr
        if alert not in NEEDS_A_CONTROLLER:
            assert "cleared on a fresh read" in done.stderr, (alert, done.stderr)
    after = scan(kube.kubeconfig, fixable).report
    fixed = {f.id for alert, f in targets.items() if alert not in NEEDS_A_CONTROLLER}
    assert not {f.id for f in after.findings} & fixed, [(f.alert, f.cause.id) for f in after.findings]
    orphan = targets["OrphanedVirtualMachineInstances"]
    assert orphan.cause.id == "node-taint-not-tolerated"
    assert [f.cause.id for f in after.findings if f.id == orphan.id] not in ([], ["node-taint-not-tolerated"])
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["mode"] for r in records].count("apply") == len(targets) == [r["mode"] for r in records].count("preview")
    assert all(r["who"] == "admin" and r["request"]["path"].startswith("/ap") for r in records)
    assert all(r["request"]["query"].get("dryRun") == "All" for r in records if r["mode"] == "preview")
    with sessions(open_engine(db))() as session:
        stored = session.scalars(select(AuditEntry)).all()
    assert sorted((e.mode, e.step) for e in stored) == sorted((r["mode"], r["step"]) for r in records)
    assert kube.token not in log.read_text()


def test_every_action_type_is_a_request_the_server_accepts_and_its_dry_run_changes_nothing(
        kube: ApiServer, fixable: Cluster, tmp_path: Path) -> None:
    """Each kind of action on a real object of the loaded cluster, sent as a dry run: accepted (so its path,
    body and content type are right), and the object's resourceVersion is the same afterwards."""
    result = scan(kube.kubeconfig, fixable)
    snap = result.snapshot
    node = snap.kind("Node")[0]
    vm = next(v for v in snap.kind("VirtualMachine") if not v["metadata"].get("deletionTimestamp"))
    vmi = next(v for v in snap.kind("VirtualMachineInstance"))
    pod = next(p for p in snap.kind("Pod") if p["metadata"]["labels"].get("kubevirt.io") == "virt-launcher")
    deployment = next(d for d in snap.kind("Deployment") if d["metadata"]["name"] == "virt-api")
    hco = snap.kind("HyperConverged")[0]
    sc = snap.kind("StorageClass")[0]

    def make(kind: str, obj: dict[str, Any], type_: str, **template: Any) -> Action:
        from virt_doctor.report.actions import build_action

        meta = obj["metadata"]
        made = build_action({"type": type_, "kind": kind, "name": meta["name"],
                             **({"namespace": meta["namespace"]} if meta.get("namespace") else {}), **template},
                            {}, snap.get, "2026-12-02T00:00:00Z")
        assert made is not None, (kind, type_)
        return made

    taint = node["spec"].get("taints") or []
    actions = [make("Node", node, "cordon"), make("Node", node, "uncordon"),
               make("StorageClass", sc, "annotate", annotation="example.com/x", value="1"),
               make("HyperConverged", hco, "patch", patch="merge",
                    body='{"spec":{"workloadUpdateStrategy":{"batchEvictionSize":7}}}'),
               make("VirtualMachine", vm, "run-strategy", strategy="Halted"),
               make("VirtualMachine", vm, "remove-finalizers"),
               make("Pod", pod, "delete"), make("VirtualMachineInstance", vmi, "force-delete"),
               make("VirtualMachineInstance", vmi, "restart-vm"),
               make("Deployment", deployment, "restart-rollout"), make("Deployment", deployment, "scale", replicas=3),
               make("VirtualMachineInstanceMigration", vmi, "migrate", vmi=vmi["metadata"]["name"])]
    if taint:
        actions.append(make("Node", node, "remove-taint", taint=f"{taint[0]['key']}:{taint[0]['effect']}-"))
    client = KubeClient(connect(kube.kubeconfig))
    auditor = Auditor("test", tmp_path / "audit.jsonl")
    fake = Finding("f", "A", "warning", "firing", None, result.report.findings[0].subject, {}, "",
                   result.report.findings[0].cause, (), (), "A")
    finalizer = (vm["metadata"].get("finalizers") or ["(none)"])[0]
    # what each dry run must show changing: (sign, text) of a line of its diff
    changes = {"cordon": ("+", "unschedulable: true"), "annotate": ("+", "example.com/x: '1'"),
               "patch": ("+", "batchEvictionSize: 7"), "run-strategy": ("+", "runStrategy: Halted"),
               "remove-finalizers": ("-", finalizer), "delete": ("-", "(deleted)"), "force-delete": ("-", "(deleted)"),
               "restart-vm": ("-", "(deleted)"), "restart-rollout": ("+", "kubectl.kubernetes.io/restartedAt"),
               "scale": ("+", "replicas: 3"), "migrate": ("+", f"vmiName: {vmi['metadata']['name']}"),
               "remove-taint": ("-", f"key: {taint[0]['key']}" if taint else "")}
    for action in actions:
        before = get(kube, action) if action.verb != "create" else None
        plan = StepPlan(fake, Step(action.type, action.type, "kubectl ...", "safe", action))
        answer = preview(client, plan, auditor)
        assert answer.accepted, (action.type, answer.error)
        # uncordoning a node that is not cordoned changes nothing, and the preview says so
        assert bool(answer.diff) is (action.type != "uncordon"), (action.type, answer.diff)
        if action.type in changes:  # and the others say what they change
            sign, text = changes[action.type]
            assert any(line.startswith(sign) and text in line for line in answer.diff), (action.type, answer.diff)
        if before is not None:
            assert get(kube, action)["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    with kube.http() as http:  # the dry-run create made no migration
        made = http.get(f"/apis/kubevirt.io/v1/namespaces/{vmi['metadata']['namespace']}/"
                        "virtualmachineinstancemigrations").json()["items"]
    assert not [m for m in made if m["metadata"]["name"].endswith(tuple("0123456789abcdefghijklmnopqrstuvwxyz"))
                and "-virt-doctor-" in m["metadata"]["name"]]
    client.close()


def rescan_of(kubeconfig: str, cluster: Cluster) -> Callable[[], ScanResult]:
    return lambda: scan(kubeconfig, cluster)


def test_a_stale_plan_is_refused_and_nothing_is_written(kube: ApiServer, fixable: Cluster, tmp_path: Path) -> None:
    result = scan(kube.kubeconfig, fixable)
    orphan = finding(result, "OrphanedVirtualMachineInstances")
    [plan] = plan_steps(orphan, ["remove-taint"])
    with kube.http() as http:  # someone changes the node after the plan was made
        http.patch(object_path(plan.action), headers={"Content-Type": "application/merge-patch+json"},
                   json={"metadata": {"labels": {"example.com/touched": "yes"}}})
    taints = get(kube, plan.action)["spec"]["taints"]
    client = KubeClient(connect(kube.kubeconfig))
    apply(client, [plan], rescan_of(kube.kubeconfig, fixable), Auditor("test", tmp_path / "a.jsonl"))
    assert plan.outcome == "stale" and "resourceVersion" in plan.detail
    assert get(kube, plan.action)["spec"]["taints"] == taints
    # the server's own precondition: a plan whose resourceVersion is old is refused by the write itself (409)
    from virt_doctor.remedy.request import request_of

    request = request_of(plan.action, dry_run=False)
    from virt_doctor.sources.live.client import Conflict

    with pytest.raises(Conflict):
        client.send_json(request.method, request.path, request.body, params=request.params,
                         content_type=request.content_type)
    assert get(kube, plan.action)["spec"]["taints"] == taints
    client.close()


def test_each_guard_refuses_until_its_flag_allows_it(kube: ApiServer, cluster_in: Load, tmp_path: Path) -> None:
    cluster = simulate(nodes=3, vms=8, faults=["vm-stuck-terminating", "handler-placement"], seed=29,
                       at=now_for_live())
    cluster_in(cluster)
    client = KubeClient(connect(kube.kubeconfig))
    auditor = Auditor("test", tmp_path / "a.jsonl")
    rescan = rescan_of(kube.kubeconfig, cluster)
    result = rescan()
    # split brain: force-deleting a VMI whose node is Ready
    [force] = plan_steps(finding(result, "VirtualMachineStuckOnNode"), ["force-delete-vmi"])
    apply(client, [force], rescan, auditor)
    assert force.outcome == "refused" and force.refused[0].risk == "split-brain"
    assert "--allow-split-brain" in force.detail and get(kube, force.action)["kind"] == "VirtualMachineInstance"
    # the last schedulable KVM node: cordon every other node first
    [cordon] = plan_steps(finding(result, "OrphanedVirtualMachineInstances"), ["cordon-node"])
    others = [n["metadata"]["name"] for n in result.snapshot.kind("Node") if n["metadata"]["name"] != cordon.action.name]
    with kube.http() as http:
        for name in others:
            http.patch(f"/api/v1/nodes/{name}", headers={"Content-Type": "application/merge-patch+json"},
                       json={"spec": {"unschedulable": True}})
    [cordon] = plan_steps(finding(rescan(), "OrphanedVirtualMachineInstances"), ["cordon-node"])
    apply(client, [cordon], rescan, auditor)
    assert cordon.outcome == "refused" and cordon.refused[0].risk == "last-kvm-node"
    assert get(kube, cordon.action)["spec"].get("unschedulable") is not True
    # outside --namespace: a node is cluster-scoped
    apply(client, [cordon], rescan, auditor, allowed=frozenset({"last-kvm-node"}), namespace="vms-000")
    assert cordon.outcome == "refused" and cordon.refused[0].risk == "out-of-scope"
    # more than --max-actions
    two = [*plan_steps(finding(rescan(), "VirtualMachineStuckOnNode"), ["force-delete-vmi"]), cordon]
    apply(client, two, rescan, auditor, max_actions=1)
    assert {p.outcome for p in two} == {"refused"} and "--max-actions 1" in cordon.detail
    # allowed: carried out
    [cordon] = plan_steps(finding(rescan(), "OrphanedVirtualMachineInstances"), ["cordon-node"])
    apply(client, [cordon], rescan, auditor, allowed=frozenset({"last-kvm-node"}))
    assert cordon.outcome == "applied" and get(kube, cordon.action)["spec"]["unschedulable"] is True
    [force] = plan_steps(finding(rescan(), "VirtualMachineStuckOnNode"), ["force-delete-vmi"])
    apply(client, [force], rescan, auditor, allowed=frozenset({"split-brain"}))
    assert force.outcome == "applied"
    modes = [json.loads(line)["mode"] for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert modes.count("refused") == 5 and modes.count("apply") == 2  # split brain, last node, scope, 2 x max
    client.close()


def test_without_the_remediator_role_fix_says_which_permission_is_missing(kube: ApiServer, fixable: Cluster,
                                                                           tmp_path: Path) -> None:
    """A reader may preview nothing (a dry run is authorized like the write): fix names the missing permission
    and prints the command for someone who has it; bound to deploy's remediator role, the same plan previews."""
    from tests.live.rbac import reader_role_for

    grant(kube, reader_role_for("fixer"))
    kubeconfig = kubeconfig_for(kube, "fixer", tmp_path)
    found = finding(scan(kube.kubeconfig, fixable), "UnsupportedHCOModification")
    argv = [str(VIRT_DOCTOR), "fix", found.id, "--kubeconfig", kubeconfig, "--at", fixable.at.isoformat(),
            "--audit-log", str(tmp_path / "a.jsonl"), "--db", str(tmp_path / "s.db")]
    denied = subprocess.run(argv, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "400"})
    assert denied.returncode == 1, denied.stderr
    out = " ".join(denied.stdout.split())
    assert "dry run: refused (HTTP 403)" in out and "missing permission" in out
    assert 'cannot patch resource "hyperconvergeds" in API group "hco.kubevirt.io"' in out
    assert "remediator.yaml" in out and "kubectl annotate --overwrite hyperconverged kubevirt-hyperconverged" in out
    import yaml

    role = yaml.safe_load(REMEDIATOR.read_text())
    grant(kube, [role, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                        "metadata": {"name": "virt-doctor-remediator-fixer"},
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                    "name": "virt-doctor-remediator"},
                        "subjects": [{"kind": "User", "name": "fixer", "apiGroup": "rbac.authorization.k8s.io"}]}])
    allowed = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "dry run: accepted" in allowed.stdout
    assert json.loads((tmp_path / "a.jsonl").read_text().splitlines()[-1])["who"] == "fixer"
    with kube.http() as http:
        http.delete("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/virt-doctor-remediator-fixer")


def test_fix_takes_the_finding_of_an_incident_in_the_store(kube: ApiServer, fixable: Cluster, tmp_path: Path) -> None:
    """serve keeps incidents; `fix --incident N --db` plans (and previews) that incident's finding, read afresh."""
    from virt_doctor.serve.service import Service
    from virt_doctor.serve.view import ClusterView

    db = str(tmp_path / "store.db")
    service = Service(ClusterView(lambda: scan(kube.kubeconfig, fixable)), open_engine(db), interval=0)
    service.evaluate_once()
    with service.sessions() as session:
        from virt_doctor.store.schema import Incident

        number = session.scalars(select(Incident.id).where(Incident.alertname == "UnsupportedHCOModification")).one()
    done = subprocess.run([str(VIRT_DOCTOR), "fix", "--incident", str(number), "--db", db, "--kubeconfig",
                           kube.kubeconfig, "--at", fixable.at.isoformat(), "--audit-log", str(tmp_path / "a.jsonl"),
                           "-o", "json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    [plan] = json.loads(done.stdout)["plans"]
    assert plan["alert"] == "UnsupportedHCOModification" and plan["preview"]["accepted"]
    missing = subprocess.run([str(VIRT_DOCTOR), "fix", "--incident", "999", "--db", db, "--kubeconfig",
                              kube.kubeconfig], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "--incident 999: no such incident in the store" in missing.stderr
