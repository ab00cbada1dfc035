"""KubemacpoolMACCollisionDetected: running VMIs share a MAC address — set by hand, or copied with a clone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.metrics import answer

ALERT = "KubemacpoolMACCollisionDetected"
COPIED = ("restore.kubevirt.io/", "clone.kubevirt.io/")  # marks a VM made from another (restore, clone)


def running_macs(snap: Snapshot) -> dict[str, list[dict[str, Any]]]:
    """MAC (lower case) -> the running VMIs whose interfaces report it."""
    macs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for vmi in snap.kind("VirtualMachineInstance"):
        if a.vmi_phase(vmi) != "Running":
            continue
        for mac in {str(i.get("mac")).lower() for i in a.status(vmi).get("interfaces") or [] if i.get("mac")}:
            macs[mac].append(vmi)
    return macs


def copied_from_another(snap: Snapshot, vmi: dict[str, Any]) -> bool | None:
    """Whether the VMI's VM was restored or cloned (its labels or annotations say so); None when its VM was not
    seen (a standalone VMI has none: False)."""
    owner = a.controller_owner(vmi)
    if owner is None or owner.get("kind") != "VirtualMachine":
        return False
    vm = snap.lookup("VirtualMachine", a.namespace(vmi), str(owner.get("name")))
    if not isinstance(vm, dict):
        return None
    marks = {**a.labels(vm), **a.annotations(vm)}
    return any(key.startswith(COPIED) for key in marks)


@rule(ALERT, reads=("VirtualMachineInstance", "VirtualMachine"), causes=("mac-set-by-hand", "cloned-vm", "unknown"),
      queries={"condition": "count(kmp_mac_collisions > 1) > 0", "macs": "kmp_mac_collisions > 1"},
      metrics_optional=True)
def kubemacpool_mac_collision_detected(snap: Snapshot) -> Iterator[Detection]:
    """Each MAC that more than one running VMI uses; and what KubeMacPool counts that the objects do not show."""
    macs = running_macs(snap)
    for mac, vmis in sorted(macs.items()):
        if len(vmis) < 2:
            continue
        vmis = sorted(vmis, key=a.ref)
        names = [f"{a.namespace(v)}/{a.name(v)}" for v in vmis]
        evidence = tuple(Evidence(object=a.ref(v), path="status.interfaces[].mac", value=mac) for v in vmis)
        newest = max(vmis, key=lambda v: (a.created(v) or snap.at, a.ref(v)))
        params = {"namespace": a.namespace(newest), "vm": a.name(newest), "mac": mac}
        marks = {a.ref(v): copied_from_another(snap, v) for v in vmis}
        copied = [v for v in vmis if marks[a.ref(v)]]
        unseen = [v for v in vmis if marks[a.ref(v)] is None]
        cause = "cloned-vm" if copied else "unknown" if unseen else "mac-set-by-hand"
        if copied:
            params.update({"namespace": a.namespace(copied[0]), "vm": a.name(copied[0])})
        yield Detection(Subject("VirtualMachineInstance", a.namespace(vmis[0]), a.name(vmis[0])), cause,
                        f"MAC {mac} is used by {len(vmis)} running VMIs: {', '.join(names)}"
                        + (f" ({params['vm']} was cloned or restored)" if copied else ""),
                        evidence=evidence, params=params, labels={"mac": mac},
                        unchecked=tuple(f"whether VM {a.namespace(v)}/{a.name(v)} was cloned or restored (VMs not "
                                        "listed there)" for v in unseen) if not copied else ())
    for series in answer(snap, ALERT, "macs"):
        mac = series.labels.get("mac", "").lower()
        if mac and len(macs.get(mac, [])) < 2:
            yield Detection(Subject("VirtualMachineInstance", "", mac), "unknown",
                            f"KubeMacPool counts {series.last:.0f} running objects on MAC {mac}, the VMIs seen do not "
                            "show them (pods with secondary interfaces, or VMIs not collected)",
                            labels={"mac": mac}, params={"mac": mac})
