"""The simulator writes consistent, deterministic, realistic clusters."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.conftest import SimulateFn
from virt_doctor.simulator.faults import FAULTS
from virt_doctor.sources.load import load_dump


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_same_seed_same_dump(simulated: SimulateFn) -> None:
    a, _ = simulated(["handler-crashloop"], seed=3)
    b, _ = simulated(["handler-crashloop"], seed=3)
    c, _ = simulated(["handler-crashloop"], seed=4)
    assert tree_digest(a) == tree_digest(b) != tree_digest(c)


def test_objects_link_like_kubevirt_links_them(simulated: SimulateFn) -> None:
    path, cluster = simulated(nodes=3, vms=20)
    snap = load_dump(path)
    for vmi in snap.kind("VirtualMachineInstance"):
        vm = snap.get("VirtualMachine", vmi["metadata"]["namespace"], vmi["metadata"]["name"])
        assert vm is not None
        assert vmi["metadata"]["ownerReferences"][0]["uid"] == vm["metadata"]["uid"]
        pods = snap.index("pods_by_created_by", vmi["metadata"]["uid"])
        assert len(pods) == 1
        pod = pods[0]
        assert pod["spec"]["nodeName"] == vmi["status"]["nodeName"] == vmi["metadata"]["labels"]["kubevirt.io/nodeName"]
        assert pod["metadata"]["annotations"]["kubevirt.io/domain"] == vmi["metadata"]["name"]
        assert pod["metadata"]["labels"]["kubevirt.io"] == "virt-launcher"
        assert list(vmi["status"]["activePods"]) == [pod["metadata"]["uid"]]
    ds = snap.get("DaemonSet", "openshift-cnv", "virt-handler")
    assert ds is not None
    handlers = snap.index("pods_by_component", "virt-handler")
    assert ds["status"]["desiredNumberScheduled"] == ds["status"]["numberReady"] == len(handlers) == 3
    workers = [n for n in snap.kind("Node") if "node-role.kubernetes.io/worker" in n["metadata"]["labels"]]
    assert {p["spec"]["nodeName"] for p in handlers} == {n["metadata"]["name"] for n in workers}
    assert all(n["status"]["allocatable"]["devices.kubevirt.io/kvm"] == "1k" for n in workers)
    statuses = {vm["status"]["printableStatus"] for vm in snap.kind("VirtualMachine")}
    assert statuses <= {"Running", "Stopped"}


def test_json_and_yaml_dumps_hold_the_same_objects(simulated: SimulateFn) -> None:
    as_yaml, _ = simulated(["vm-volume-mount"], fmt="yaml")
    as_json, _ = simulated(["vm-volume-mount"], fmt="json")
    a, b = load_dump(as_yaml), load_dump(as_json)
    assert a.by_key.keys() == b.by_key.keys()
    assert a.objects == b.objects or sorted(map(str, a.objects)) == sorted(map(str, b.objects))


def test_every_fault_injects_something_its_alert_sees(simulated: SimulateFn) -> None:
    """Each registered fault, alone, makes its own alert fire (the per-cause cases check the cause), and — one
    broken thing — whatever it sets off is one problem."""
    from virt_doctor.scan import ScanRequest, run_scan

    for name, spec in sorted(FAULTS.items()):
        if spec.fn.__module__.endswith(".faults.metrics"):
            continue  # metric-only faults are seen through Prometheus: tests/prometheus
        # a parameterised fault takes its default workload; Leases, the HyperConverged list and NMState CRs are
        # collected too, since a must-gather alone cannot show a lease fault or a missing CR
        path, cluster = simulated([name], also_collect=("Lease", "HyperConverged", "NMState"))
        assert cluster.injected, name
        assert cluster.injected[-1].alert == spec.alert, name  # what the fault itself says it sets off
        report = run_scan(ScanRequest(source=path)).report
        findings = report.findings
        assert (spec.alert, spec.cause) in {(f.alert, f.cause.id) for f in findings}, name
        assert len(report.problems) == 1, (name, [p.title for p in report.problems])
        assert sorted(report.problems[0].findings) == sorted(f.id for f in findings), name


def test_without_vms_details_vm_namespaces_have_no_pods_or_events(simulated: SimulateFn) -> None:
    path, cluster = simulated(vms_details=False)
    snap = load_dump(path)
    namespaces = {p["metadata"]["namespace"] for p in snap.kind("Pod")}
    assert namespaces == {cluster.install_ns}
    assert snap.kind("VirtualMachineInstance")


def test_workload_status_agrees_with_its_pods_under_every_fault() -> None:
    """The simulator derives Deployment, ReplicaSet and DaemonSet status from the pods it writes."""
    from virt_doctor.simulator.simulate import simulate

    def ready(pod: dict) -> bool:
        return pod["status"].get("phase") == "Running" and any(
            c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))

    from virt_doctor.simulator.status import should_run

    for name in sorted(FAULTS):
        objects = list(simulate(nodes=3, vms=8, faults=[name], seed=5).objects())
        nodes = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Node"}
        owned: dict[str, list[dict]] = {}
        for obj in objects:
            if obj["kind"] == "Pod" and obj["metadata"].get("ownerReferences"):
                owned.setdefault(obj["metadata"]["ownerReferences"][0]["uid"], []).append(obj)
        for obj in objects:
            pods = owned.get(obj["metadata"].get("uid", ""), [])
            if obj["kind"] == "DaemonSet":  # counted over the nodes the controller wants a daemon pod on
                wanted = [p for p in pods if should_run(obj, nodes.get(p["spec"].get("nodeName") or ""))]
                assert obj["status"]["numberReady"] == sum(map(ready, wanted)), (name, obj["metadata"]["name"])
                assert obj["status"]["desiredNumberScheduled"] == len(wanted), (name, obj["metadata"]["name"])
                assert obj["status"].get("numberMisscheduled", 0) == len(pods) - len(wanted)
            elif obj["kind"] == "ReplicaSet":
                assert obj["status"]["readyReplicas"] == sum(map(ready, pods)), (name, obj["metadata"]["name"])
