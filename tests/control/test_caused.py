"""Faults caused, not written: each scenario makes the cause a person would make on a cluster whose Kubernetes half is
real (the controllers, the scheduler, the node lifecycle), waits for Kubernetes to produce the symptoms, and checks
that virt-doctor — live, and from what `collect` wrote — names the alert, subject and cause the scenario calls for,
quoting what the controllers wrote. Where the simulator has the same fault, its dump must give the same diagnosis.
Each scenario undoes its cause and leaves the cluster healthy (no finding) for the next; a fix is carried out
with `virt-doctor fix --apply`, and the controllers reconcile it until the alert clears."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.control.agent import MERGE
from tests.control.conftest import NODES, SEED, VMS, Plane
from tests.control.plane import wait_for
from tests.live.apiserver import load
from virt_doctor.report.model import Finding, Report
from virt_doctor.report.text import evidence_line
from virt_doctor.scan import LiveOptions, ScanRequest, run_scan
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import write_dump

VIRT_DOCTOR = Path(sys.executable).parent / "virt-doctor"
HANDLERS = "/api/v1/namespaces/openshift-cnv/pods?labelSelector=kubevirt.io%3Dvirt-handler"
VIRT_API = "/apis/apps/v1/namespaces/openshift-cnv/deployments/virt-api"


def live(plane: Plane) -> Report:
    return run_scan(ScanRequest(live=LiveOptions(plane.server.kubeconfig), at=datetime.now(UTC))).report


def triples(report: Report, alerts: set[str] | None = None) -> set[tuple[str, str, str]]:
    return {(f.alert, f.subject.ref(), f.cause.id) for f in report.findings if alerts is None or f.alert in alerts}


def kinds(report: Report, alerts: set[str]) -> set[tuple[str, str, str]]:
    """(alert, subject kind, cause): what a simulated fault and a caused one share, whichever node it picked."""
    return {(f.alert, f.subject.kind, f.cause.id) for f in report.findings if f.alert in alerts}


def one(report: Report, alert: str) -> Finding:
    [found] = [f for f in report.findings if f.alert == alert]
    return found


def said(finding: Finding) -> str:
    return "\n".join(evidence_line(e) for e in finding.evidence)


def simulated(fault: str, tmp_path: Path) -> Report:
    """The simulator's dump of the same cluster with the same fault, scanned."""
    dump = write_dump(simulate(nodes=NODES, vms=VMS, seed=SEED, faults=[fault]), tmp_path / fault.replace(":", "-"),
                      "json")
    return run_scan(ScanRequest(source=dump)).report


def collected(plane: Plane, tmp_path: Path) -> Report:
    """`virt-doctor collect` of the cluster now, then `scan --from` of what it wrote."""
    out = tmp_path / "collected.tar.gz"
    done = subprocess.run([str(VIRT_DOCTOR), "collect", "--out", str(out), "--kubeconfig", plane.server.kubeconfig,
                           "-q"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return run_scan(ScanRequest(source=out, at=datetime.now(UTC))).report


def fix_applied(plane: Plane, finding: Finding, step: str, tmp_path: Path) -> str:
    """`virt-doctor fix FINDING --step STEP --apply`, verified on a fresh read after the controllers had time to
    reconcile: what it said on stderr."""
    done = subprocess.run([str(VIRT_DOCTOR), "fix", finding.id, "--step", step, "--apply", "--yes", "--verify-after",
                           "8s", "--kubeconfig", plane.server.kubeconfig, "--audit-log", str(tmp_path / "audit.jsonl"),
                           "--db", str(tmp_path / "store.db")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{finding.alert} for {finding.subject.ref()}: cleared on a fresh read" in done.stderr, done.stderr
    return done.stderr


@pytest.fixture
def scenario(plane: Plane) -> Iterator[Plane]:
    """A scenario starts from the healthy cluster and leaves it so: its cause undone, the controllers settled."""
    plane.healthy()
    assert triples(live(plane)) == set()
    yield plane
    plane.healthy()
    wait_for("no finding after the scenario was undone", lambda: not triples(live(plane)), 30)
    assert not plane.agent.errors, plane.agent.errors[:3]


def worker_with_vms(plane: Plane) -> str:
    with plane.server.http() as http:
        vmis = http.get("/apis/kubevirt.io/v1/virtualmachineinstances").json()["items"]
    return sorted(v["status"]["nodeName"] for v in vmis if v.get("status", {}).get("nodeName"))[0]


def daemonset(plane: Plane) -> dict[str, Any]:
    with plane.server.http() as http:
        return http.get("/apis/apps/v1/namespaces/openshift-cnv/daemonsets/virt-handler").json()  # type: ignore[no-any-return]


def test_a_taint_keeps_virt_handler_off_a_node_and_fix_lifts_it(scenario: Plane, tmp_path: Path) -> None:
    plane = scenario
    node = worker_with_vms(plane)
    try:
        with plane.server.http() as http:
            http.patch(f"/api/v1/nodes/{node}", headers=MERGE,
                       json={"spec": {"taints": [{"key": "maintenance", "value": "firmware", "effect": "NoSchedule"}]}})
            for pod in http.get(HANDLERS).json()["items"]:  # virt-handler restarts there (an upgrade, a crash)
                if pod["spec"]["nodeName"] == node:
                    http.delete(f"/api/v1/namespaces/openshift-cnv/pods/{pod['metadata']['name']}")
            # the DaemonSet controller does not place it again on a node whose taint it does not tolerate
            wait_for("virt-handler gone from the node", lambda: not [
                p for p in http.get(HANDLERS).json()["items"] if p["spec"]["nodeName"] == node])
        wait_for("the DaemonSet controller counts the node out", lambda: daemonset(plane)["status"].get(
            "desiredNumberScheduled") == NODES - 1)
        report = live(plane)
        orphaned = one(report, "OrphanedVirtualMachineInstances")
        assert (orphaned.subject.ref(), orphaned.cause.id) == (f"Node/{node}", "node-taint-not-tolerated")
        assert f"Node/{node} spec.taints = maintenance=firmware:NoSchedule" in said(orphaned)
        assert triples(report) == {("OrphanedVirtualMachineInstances", f"Node/{node}", "node-taint-not-tolerated")}
        assert kinds(report, {"OrphanedVirtualMachineInstances"}) == kinds(
            simulated("handler-taint", tmp_path), {"OrphanedVirtualMachineInstances"})
        assert triples(collected(plane, tmp_path)) == triples(report)
        # the fix: remove the taint; the DaemonSet controller places virt-handler, the agent runs it, the alert clears
        fix_applied(plane, orphaned, "remove-taint", tmp_path)
        assert daemonset(plane)["status"]["desiredNumberScheduled"] == NODES
        assert "OrphanedVirtualMachineInstances" not in {f.alert for f in live(plane).findings}
    finally:
        with plane.server.http() as http:
            http.patch(f"/api/v1/nodes/{node}", json={"spec": {"taints": None}}, headers=MERGE)


def test_a_node_that_stops_reporting(scenario: Plane, tmp_path: Path) -> None:
    plane = scenario
    node = worker_with_vms(plane)
    plane.agent.stop_heartbeat(node)
    try:
        def unknown() -> bool:
            with plane.server.http() as http:
                ready = [c for c in http.get(f"/api/v1/nodes/{node}").json()["status"]["conditions"]
                         if c["type"] == "Ready"]
            return ready[0]["status"] == "Unknown"

        wait_for("the node lifecycle controller marks the node Unknown", unknown, 30)
        wait_for("and its virt-handler not ready", lambda: daemonset(plane)["status"].get("numberMisscheduled") == 1)
        report = live(plane)
        orphaned = one(report, "OrphanedVirtualMachineInstances")
        assert (orphaned.subject.ref(), orphaned.cause.id) == (f"Node/{node}", "node-not-ready")
        # what the node lifecycle controller wrote, quoted
        assert (f"Node/{node} status.conditions[Ready] = Unknown (NodeStatusUnknown): Kubelet stopped posting node "
                "status.") in said(orphaned)
        handler = one(report, "LowReadyVirtHandlerCount")
        assert handler.cause.id == "node-not-ready" and "only 2 of 3 running virt-handler pods are ready" in \
            handler.summary
        # the DaemonSet controller no longer counts the node (its unreachable:NoSchedule taint): no rollout failing
        assert "VirtHandlerDaemonSetRolloutFailing" not in {f.alert for f in report.findings}
        assert {f.cause.id for f in report.findings} == {"node-not-ready"}, triples(report)
        handler_alerts = {"OrphanedVirtualMachineInstances", "LowReadyVirtHandlerCount",
                          "VirtHandlerDaemonSetRolloutFailing", "NoReadyVirtHandler"}
        assert kinds(report, handler_alerts) == kinds(simulated("node-not-ready", tmp_path), handler_alerts)
        assert triples(collected(plane, tmp_path)) == triples(report)
    finally:
        plane.agent.resume_heartbeat(node)


def test_a_component_scaled_to_zero(scenario: Plane, tmp_path: Path) -> None:
    plane = scenario
    with plane.server.http() as http:
        http.patch(VIRT_API, json={"spec": {"replicas": 0}}, headers=MERGE)
        try:
            wait_for("the Deployment controller scales virt-api down", lambda: not http.get(
                "/api/v1/namespaces/openshift-cnv/pods", params={"labelSelector": "kubevirt.io=virt-api"}
            ).json()["items"] and http.get(VIRT_API).json()["status"].get("replicas", 0) == 0)
            report = live(plane)
            expected = {("NoReadyVirtAPI", "Deployment/openshift-cnv/virt-api", "scaled-to-zero"),
                        ("VirtAPIDown", "Deployment/openshift-cnv/virt-api", "scaled-to-zero")}
            assert triples(report) == expected
            assert triples(simulated("component-scaled-to-zero:virt-api", tmp_path)) == expected
            assert "Deployment/openshift-cnv/virt-api spec.replicas = 0" in said(one(report, "VirtAPIDown"))
            assert triples(collected(plane, tmp_path)) == expected
            # the fix scales it up; the Deployment controller makes the pods, the agent runs them: cleared
            fix_applied(plane, one(report, "VirtAPIDown"), "scale-up", tmp_path)
            assert http.get(VIRT_API).json()["status"].get("readyReplicas") == 2
        finally:
            http.patch(VIRT_API, json={"spec": {"replicas": 2}}, headers=MERGE)


def test_a_component_image_that_cannot_be_pulled(scenario: Plane, tmp_path: Path) -> None:
    """The registry lost virt-api's image: its pods, recreated by the ReplicaSet, cannot pull it."""
    plane = scenario
    with plane.server.http() as http:
        image = http.get(VIRT_API).json()["spec"]["template"]["spec"]["containers"][0]["image"]
        plane.agent.bad_images.add(image)
        try:
            pods = http.get("/api/v1/namespaces/openshift-cnv/pods", params={"labelSelector": "kubevirt.io=virt-api"})
            for pod in pods.json()["items"]:
                http.delete(f"/api/v1/namespaces/openshift-cnv/pods/{pod['metadata']['name']}")

            def backing_off() -> bool:
                pods = http.get("/api/v1/namespaces/openshift-cnv/pods",
                                params={"labelSelector": "kubevirt.io=virt-api"}).json()["items"]
                return len(pods) == 2 and all(
                    s.get("state", {}).get("waiting", {}).get("reason") == "ImagePullBackOff"
                    for p in pods for s in p.get("status", {}).get("containerStatuses") or [{}])

            wait_for("the new pods back off pulling", backing_off)
            report = live(plane)
            expected = {("NoReadyVirtAPI", "Deployment/openshift-cnv/virt-api", "image-pull-failure"),
                        ("VirtAPIDown", "Deployment/openshift-cnv/virt-api", "image-pull-failure")}
            assert triples(report) == expected
            assert triples(simulated("component-image-pull:virt-api", tmp_path)) == expected
            assert f'Back-off pulling image "{image}"' in said(one(report, "VirtAPIDown"))
            assert triples(collected(plane, tmp_path)) == expected
        finally:
            plane.agent.bad_images.discard(image)
            for pod in http.get("/api/v1/namespaces/openshift-cnv/pods",
                                params={"labelSelector": "kubevirt.io=virt-api"}).json()["items"]:
                http.delete(f"/api/v1/namespaces/openshift-cnv/pods/{pod['metadata']['name']}")


def workers(plane: Plane) -> list[str]:
    with plane.server.http() as http:
        nodes = http.get("/api/v1/nodes").json()["items"]
    return sorted(n["metadata"]["name"] for n in nodes if "node-role.kubernetes.io/worker" in n["metadata"]["labels"])


def test_kvm_gone_from_every_node(scenario: Plane, tmp_path: Path) -> None:
    plane = scenario
    names = workers(plane)
    try:
        for name in names:  # KubeVirt's device plugin no longer advertises /dev/kvm
            plane.agent.set_allocatable(name, {"devices.kubevirt.io/kvm": "0"})
        report = live(plane)
        expected = {"KubeVirtNoAvailableNodesToRunVMs", "LowKVMNodesCount"}
        assert {f.alert for f in report.findings} == expected
        assert kinds(report, expected) == kinds(simulated("no-kvm-nodes", tmp_path), expected)
        assert triples(collected(plane, tmp_path)) == triples(report)
    finally:
        for name in names:
            plane.agent.set_allocatable(name, {"devices.kubevirt.io/kvm": "1k"})


def test_the_last_kvm_nodes_cordoned(scenario: Plane, tmp_path: Path) -> None:
    plane = scenario
    names = workers(plane)
    with plane.server.http() as http:
        try:
            for name in names:
                http.patch(f"/api/v1/nodes/{name}", json={"spec": {"unschedulable": True}}, headers=MERGE)

            def tainted() -> bool:  # the node lifecycle controller's taint for a cordoned node
                return all(any(t["key"] == "node.kubernetes.io/unschedulable" for t in
                               http.get(f"/api/v1/nodes/{n}").json()["spec"].get("taints") or ()) for n in names)

            wait_for("the controller taints the cordoned nodes", tainted)
            report = live(plane)
            expected = {"KubeVirtNoAvailableNodesToRunVMs"}
            assert kinds(report, expected) == kinds(simulated("all-nodes-cordoned", tmp_path), expected) == {
                ("KubeVirtNoAvailableNodesToRunVMs", "KubeVirt", "no-schedulable-nodes")}
            assert {f.alert for f in report.findings} == expected
            assert triples(collected(plane, tmp_path)) == triples(report)
            # which node's maintenance is over is a person's call: the plan says uncordon by hand; done for one node,
            # the node lifecycle controller lifts its taint and the alert clears
            stuck = one(report, "KubeVirtNoAvailableNodesToRunVMs")
            assert [s.id for s in stuck.remediation if s.id == "uncordon" and s.action is None] == ["uncordon"]
            http.patch(f"/api/v1/nodes/{names[0]}", json={"spec": {"unschedulable": None}}, headers=MERGE)
            wait_for("the controller lifts the taint", lambda: not http.get(f"/api/v1/nodes/{names[0]}").json()[
                "spec"].get("taints"))
            assert "KubeVirtNoAvailableNodesToRunVMs" not in {f.alert for f in live(plane).findings}
        finally:
            for name in names:
                http.patch(f"/api/v1/nodes/{name}", json={"spec": {"unschedulable": None}}, headers=MERGE)


def vm_objects(cluster: Any, name: str) -> dict[str, dict[str, Any]]:
    """The VM, its VMI and its launcher pod, as the simulated cluster has them."""
    out = {}
    for obj in cluster.objects():
        labels = obj["metadata"].get("labels") or {}
        if obj["kind"] in ("VirtualMachine", "VirtualMachineInstance") and obj["metadata"]["name"] == name:
            out[obj["kind"]] = obj
        elif obj["kind"] == "Pod" and labels.get("vm.kubevirt.io/name") == name:
            out["Pod"] = obj
    return out


def stop_vmi(plane: Plane, namespace: str, name: str) -> None:
    """KubeVirt's part when a VM restarts: its VMI and launcher pod go."""
    with plane.server.http() as http:
        for path in [f"/api/v1/namespaces/{namespace}/pods/{p['metadata']['name']}" for p in http.get(
                f"/api/v1/namespaces/{namespace}/pods", params={"labelSelector": f"vm.kubevirt.io/name={name}"}
        ).json()["items"]] + [f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances/{name}"]:
            http.patch(path, json={"metadata": {"finalizers": None}}, headers=MERGE)
            http.request("DELETE", path, json={"gracePeriodSeconds": 0})
        wait_for("the VMI and its pod gone", lambda: http.get(
            f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances/{name}").status_code == 404 and not
            http.get(f"/api/v1/namespaces/{namespace}/pods",
                     params={"labelSelector": f"vm.kubevirt.io/name={name}"}).json()["items"])


def start_vm_as(plane: Plane, objects: dict[str, dict[str, Any]], scheduled: bool) -> None:
    """KubeVirt's part when a VM starts: the VM's spec and status as written, a VMI, and a launcher pod — placed by
    the scheduler (`scheduled` False: no node set, whatever the simulated one had)."""
    vm, vmi, pod = objects["VirtualMachine"], json_copy(objects["VirtualMachineInstance"]), json_copy(objects["Pod"])
    meta = vm["metadata"]
    path = f"/apis/kubevirt.io/v1/namespaces/{meta['namespace']}/virtualmachines/{meta['name']}"
    with plane.server.http() as http:
        current = http.get(path).json()
        current["spec"] = vm["spec"]
        current = http.put(path, json=current).json()
        current["status"] = vm["status"]
        assert http.put(f"{path}/status", json=current).status_code == 200
    if not scheduled:
        pod["spec"].pop("nodeName", None)
        pod.pop("status", None)
        vmi["status"]["conditions"] = [c for c in vmi["status"].get("conditions") or () if c["type"] != "PodScheduled"]
    load(plane.server, [vmi, pod])


def json_copy(obj: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(obj))  # type: ignore[no-any-return]


def test_a_vm_asking_for_more_than_any_node_has(scenario: Plane, tmp_path: Path) -> None:
    """The person edits a VM to 512Gi and restarts it: the scheduler, not the simulator, says why it cannot run."""
    plane = scenario
    faulty = simulate(nodes=NODES, vms=VMS, seed=SEED, faults=["vm-insufficient-memory"])
    [name] = [o["metadata"]["name"] for o in faulty.objects() if o["kind"] == "VirtualMachine" and
              o["spec"]["template"]["spec"]["domain"]["resources"]["requests"].get("memory") == "512Gi"]
    asked, healthy = vm_objects(faulty, name), vm_objects(plane.cluster, name)
    namespace = asked["VirtualMachine"]["metadata"]["namespace"]
    stop_vmi(plane, namespace, name)
    try:
        start_vm_as(plane, asked, scheduled=False)
        pods = f"/api/v1/namespaces/{namespace}/pods"
        with plane.server.http() as http:
            def verdict() -> dict[str, Any] | None:
                found = http.get(pods, params={"labelSelector": f"vm.kubevirt.io/name={name}"}).json()["items"]
                conditions = found[0].get("status", {}).get("conditions") or [] if found else []
                return next((c for c in conditions if c["type"] == "PodScheduled" and c["status"] == "False"), None)

            wait_for("the scheduler's verdict on the launcher pod", lambda: verdict() is not None)
            said_by_scheduler = verdict()
            assert said_by_scheduler is not None
            # KubeVirt's part: virt-controller copies the pod's PodScheduled condition into the VMI
            vmi_path = f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances/{name}"
            vmi = http.get(vmi_path).json()
            vmi["status"]["conditions"] = [*vmi["status"].get("conditions", []), said_by_scheduler]
            assert http.put(f"{vmi_path}/status", json=vmi).status_code == 200
        report = live(plane)
        stuck = one(report, "VirtualMachineStuckInUnhealthyState")
        assert (stuck.subject.ref(), stuck.cause.id) == (f"VirtualMachine/{namespace}/{name}",
                                                         "insufficient-resources"), said(stuck)
        message = said_by_scheduler["message"]
        assert message.startswith(f"0/{2 * NODES} nodes are available: {NODES} Insufficient memory")
        assert message in said(stuck)  # the scheduler's own words, verbatim
        alerts = {"VirtualMachineStuckInUnhealthyState"}
        dump = simulated("vm-insufficient-memory", tmp_path)
        assert triples(report, alerts) == triples(dump, alerts)
        assert message in said(one(dump, "VirtualMachineStuckInUnhealthyState"))  # the simulator says it as it does
        assert triples(collected(plane, tmp_path)) == triples(report)
    finally:
        stop_vmi(plane, namespace, name)
        start_vm_as(plane, healthy, scheduled=True)


def test_the_default_storage_class_deleted(scenario: Plane, tmp_path: Path) -> None:
    """The default class is deleted; a new DataVolume names none, and the claim CDI makes for it waits: the PV
    controller's own verdict on it is what the finding shows."""
    plane = scenario
    defaults = [o for o in plane.cluster.objects() if o["kind"] == "StorageClass"
                and any(v == "true" for k, v in (o["metadata"].get("annotations") or {}).items() if "is-default" in k)]
    assert defaults
    dv = {"apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume",
          "metadata": {"name": "scratch-disk", "namespace": "vms-000"},
          "spec": {"source": {"blank": {}}, "storage": {"resources": {"requests": {"storage": "10Gi"}}}}}
    with plane.server.http() as http:
        for sc in defaults:
            http.delete(f"/apis/storage.k8s.io/v1/storageclasses/{sc['metadata']['name']}")
        made = http.post("/apis/cdi.kubevirt.io/v1beta1/namespaces/vms-000/datavolumes", json=dv).json()
        # CDI's part: the DataVolume waits, and the claim it renders names no class
        made["status"] = {"phase": "Pending", "progress": "N/A"}
        http.put("/apis/cdi.kubevirt.io/v1beta1/namespaces/vms-000/datavolumes/scratch-disk/status", json=made)
        http.post("/api/v1/namespaces/vms-000/persistentvolumeclaims", json={
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {
                "name": "scratch-disk", "namespace": "vms-000", "ownerReferences": [{
                    "apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume", "name": "scratch-disk",
                    "uid": made["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}})
        try:
            def failed_binding() -> bool:
                events = http.get("/api/v1/namespaces/vms-000/events",
                                  params={"fieldSelector": "involvedObject.name=scratch-disk"}).json()["items"]
                return any(e["reason"] == "FailedBinding" for e in events)

            wait_for("the PV controller's verdict on the claim", failed_binding)
            report = live(plane)
            finding = one(report, "CDINoDefaultStorageClass")
            assert (finding.subject.ref(), finding.cause.id) == ("DataVolume/vms-000/scratch-disk", "no-default")
            assert "PersistentVolumeClaim/vms-000/scratch-disk status.phase = Pending" in said(finding)
            assert ("PersistentVolumeClaim/vms-000/scratch-disk event FailedBinding = no persistent volumes available "
                    "for this claim and no storage class is set") in said(finding)  # the PV controller's words
            alerts = {"CDINoDefaultStorageClass"}
            assert kinds(report, alerts) == kinds(simulated("vm-no-default-storage-class", tmp_path), alerts)
            assert triples(collected(plane, tmp_path)) == triples(report)
        finally:
            for path in ("/api/v1/namespaces/vms-000/persistentvolumeclaims/scratch-disk",
                         "/apis/cdi.kubevirt.io/v1beta1/namespaces/vms-000/datavolumes/scratch-disk"):
                http.patch(path, json={"metadata": {"finalizers": None}}, headers=MERGE)
                http.request("DELETE", path, json={"gracePeriodSeconds": 0})
            load(plane.server, [json_copy(sc) for sc in defaults])


def test_a_component_that_crashes_on_start(scenario: Plane, tmp_path: Path) -> None:
    """virt-controller's containers exit 1 at start (a bad configuration): the kubelet's back-off, its restarts and
    the previous container's log, as the agent serves them through the API server."""
    plane = scenario
    path = "/apis/apps/v1/namespaces/openshift-cnv/deployments/virt-controller"
    selector = {"labelSelector": "kubevirt.io=virt-controller"}
    with plane.server.http() as http:
        image = http.get(path).json()["spec"]["template"]["spec"]["containers"][0]["image"]
        plane.agent.crashing.add(image)
        try:
            for pod in http.get("/api/v1/namespaces/openshift-cnv/pods", params=selector).json()["items"]:
                http.delete(f"/api/v1/namespaces/openshift-cnv/pods/{pod['metadata']['name']}")

            def crash_looping() -> bool:
                pods = http.get("/api/v1/namespaces/openshift-cnv/pods", params=selector).json()["items"]
                return len(pods) == 2 and all(
                    s.get("state", {}).get("waiting", {}).get("reason") == "CrashLoopBackOff" and s["restartCount"] > 1
                    for p in pods for s in p.get("status", {}).get("containerStatuses") or [{"restartCount": 0}])

            wait_for("the new pods crash-loop", crash_looping)
            report = live(plane)
            finding = one(report, "NoReadyVirtController")
            assert (finding.subject.ref(), finding.cause.id) == ("Deployment/openshift-cnv/virt-controller",
                                                                 "pod-crash-looping")
            assert "log virt-controller = virt-controller: fatal: cannot start" in said(finding)
            alerts = {"NoReadyVirtController"}
            assert triples(simulated("component-crashloop:virt-controller", tmp_path), alerts) == triples(report, alerts)
            assert {f.cause.id for f in report.findings} <= {"pod-crash-looping", "lease-expired"}, triples(report)
            assert triples(collected(plane, tmp_path), alerts) == triples(report, alerts)
        finally:
            plane.agent.crashing.discard(image)
            for pod in http.get("/api/v1/namespaces/openshift-cnv/pods", params=selector).json()["items"]:
                http.delete(f"/api/v1/namespaces/openshift-cnv/pods/{pod['metadata']['name']}")
