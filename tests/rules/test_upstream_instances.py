"""One finding per alert instance upstream raises: an ephemeral-hotplug finding per VMI (not per volume), one
MAC-collision finding for the cluster (kubemacpool's rule counts colliding MACs cluster-wide)."""

from __future__ import annotations

import copy
from pathlib import Path

from tests.conftest import findings_for, scan
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import write_dump

HOTPLUG = "VirtualMachineInstanceHasEphemeralHotplugVolume"
MACS = "KubemacpoolMACCollisionDetected"


def test_one_ephemeral_hotplug_finding_per_vmi_names_all_its_volumes(tmp_path: Path) -> None:
    cluster = simulate(nodes=3, vms=12, faults=["ephemeral-hotplug"], seed=7)
    target = cluster.injected[0]
    vmi = next(o for o in cluster.objects() if o["kind"] == "VirtualMachineInstance"
               and (o["metadata"]["namespace"], o["metadata"]["name"]) == (target.namespace, target.name))
    second = copy.deepcopy(vmi["spec"]["volumes"][-1])
    second.update(name="logs-disk", persistentVolumeClaim={"claimName": f"{target.name}-logs", "hotpluggable": True})
    vmi["spec"]["volumes"].append(second)
    found = findings_for(scan(write_dump(cluster, tmp_path / "dump")), HOTPLUG)
    assert [(f.subject.name, f.cause.id) for f in found] == [(target.name, "hotplugged-without-persist")]
    assert "volumes scratch-disk, logs-disk are not in VM" in found[0].summary
    assert [e.value for e in found[0].evidence if e.path == "spec.volumes"] == ["scratch-disk", "logs-disk"]


def test_every_colliding_mac_is_one_finding_for_the_cluster(tmp_path: Path) -> None:
    cluster = simulate(nodes=3, vms=12, faults=["mac-velero-restore"], seed=7)
    # a second collision, by hand: two more running VMIs report one MAC
    running = [o for o in cluster.objects() if o["kind"] == "VirtualMachineInstance"
               and o["status"].get("phase") == "Running"]
    counts: dict[str, int] = {}
    for vmi in running:
        for iface in vmi["status"].get("interfaces", []):
            counts[iface["mac"]] = counts.get(iface["mac"], 0) + 1
    spare = [v for v in running if all(counts[i["mac"]] == 1 for i in v["status"].get("interfaces", []))][:2]
    for vmi in spare:
        for iface in vmi["status"]["interfaces"]:
            iface["mac"] = "02:00:00:00:be:ef"
    assert len(spare) == 2
    found = findings_for(scan(write_dump(cluster, tmp_path / "dump")), MACS)
    assert len(found) == 1
    finding = found[0]
    assert finding.summary.startswith("2 MAC addresses used by more than one running object: MAC ")
    assert len({e.value for e in finding.evidence if e.path == "status.interfaces[].mac"}) == 2
    # the restored VM explains one collision: the cause says so, and the plan acts on the restored VM
    restored = next(o for o in cluster.objects() if o["kind"] == "VirtualMachine"
                    and "velero.io/restore-name" in o["metadata"].get("labels", {}))
    assert finding.cause.id == "cloned-vm" and f"({restored['metadata']['name']} was cloned or restored)" in \
        finding.summary


def test_a_health_virt_doctor_computed_reads_as_computed(tmp_path: Path) -> None:
    """HCO writes status.systemHealthStatus; an older HCO does not, and then the evidence says virt-doctor computed
    the value from the conditions, never that the field says it."""
    for stated in (True, False):
        cluster = simulate(nodes=3, vms=4, faults=["hco-operand-degraded"], seed=7)
        hco = next(o for o in cluster.objects() if o["kind"] == "HyperConverged")
        if not stated:
            hco["status"].pop("systemHealthStatus")
        found = findings_for(scan(write_dump(cluster, tmp_path / f"dump-{stated}")), "HCOOperatorConditionsUnhealthy")
        health = found[0].evidence[0]
        if stated:
            assert (health.path, health.value, health.note) == ("status.systemHealthStatus", "error", "")
        else:
            assert (health.path, health.value) == ("status.conditions", "error")
            assert health.note.startswith("computed by virt-doctor") and "no status.systemHealthStatus" in health.note
