"""KubemacpoolMACCollisionDetected: running VMIs share a MAC address — set by hand, or copied with a clone or a
restore.

Upstream raises one alert for the cluster (`count(kmp_mac_collisions > 1) > 0`, kubemacpool's rule): its value is
how many MACs collide. So does virt-doctor: one finding, every colliding MAC in its evidence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.metrics import answer

ALERT = "KubemacpoolMACCollisionDetected"
# marks a VM made from another: KubeVirt's restore and clone, and a Velero/OADP restore (its restore-name label)
COPIED = ("restore.kubevirt.io/", "clone.kubevirt.io/", "velero.io/restore-name")


def shared_macs(snap: Snapshot) -> dict[str, list[dict[str, Any]]]:
    """MAC (lower case) -> the running VMIs whose interfaces report it, for each MAC more than one reports.
    A MAC held once costs one dict entry (every VMI has one: listing them all cost most of the rule)."""
    first: dict[str, dict[str, Any]] = {}
    shared: dict[str, list[dict[str, Any]]] = {}
    for vmi in snap.kind("VirtualMachineInstance"):
        if a.vmi_phase(vmi) != "Running":
            continue
        for mac in {str(i.get("mac")).lower() for i in a.status(vmi).get("interfaces") or () if i.get("mac")}:
            held = first.setdefault(mac, vmi)
            if held is not vmi:
                holders = shared.get(mac)
                if holders is None:
                    shared[mac] = [held, vmi]
                else:
                    holders.append(vmi)
    return shared


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
    """One finding for the cluster, as upstream's alert: each MAC more than one running VMI uses, and what
    KubeMacPool counts that the objects do not show."""
    macs = shared_macs(snap)
    collisions = [(mac, sorted(vmis, key=a.ref)) for mac, vmis in sorted(macs.items())]
    counted = [s for s in answer(snap, ALERT, "macs") if s.labels.get("mac") and s.labels["mac"].lower() not in macs]
    if not collisions and not counted:
        return
    evidence = [Evidence(object=a.ref(v), path="status.interfaces[].mac", value=mac)
                for mac, vmis in collisions for v in vmis]
    evidence += [Evidence(object="metric kmp_mac_collisions", path=f"{{mac={s.labels['mac'].lower()}}}",
                          value=round(s.last), note="running objects KubeMacPool counts on the MAC; the VMIs seen "
                          "do not show them (pods with secondary interfaces, or VMIs not collected)") for s in counted]
    marks = {a.ref(v): copied_from_another(snap, v) for _, vmis in collisions for v in vmis}
    copied = [(mac, v) for mac, vmis in collisions for v in vmis if marks[a.ref(v)]]
    unseen = [v for _, vmis in collisions for v in vmis if marks[a.ref(v)] is None]
    described = "; ".join(f"MAC {mac} by {', '.join(f'{a.namespace(v)}/{a.name(v)}' for v in vmis)}"
                          for mac, vmis in collisions)
    count = len(collisions) + len(counted)
    said = f"{count} MAC address{'es' if count != 1 else ''} used by more than one running object"
    if not collisions:
        mac = counted[0].labels["mac"].lower()
        yield Detection(Subject("VirtualMachineInstance", "", mac), "unknown", f"{said}: KubeMacPool counts them, "
                        "the VMIs seen do not show them", evidence=tuple(evidence), params={"mac": mac})
        return
    first_mac, first = collisions[0]
    newest = max(first, key=lambda v: (a.created(v) or snap.at, a.ref(v)))
    params = {"namespace": a.namespace(newest), "vm": a.name(newest), "mac": first_mac}
    if copied:
        params.update({"namespace": a.namespace(copied[0][1]), "vm": a.name(copied[0][1]), "mac": copied[0][0]})
    cause = "cloned-vm" if copied else "unknown" if unseen else "mac-set-by-hand"
    yield Detection(Subject("VirtualMachineInstance", a.namespace(first[0]), a.name(first[0])), cause,
                    f"{said}: {described}" + (f" ({params['vm']} was cloned or restored)" if copied else ""),
                    evidence=tuple(evidence), params=params,
                    unchecked=tuple(f"whether VM {a.namespace(v)}/{a.name(v)} was cloned or restored (VMs not "
                                    "listed there)" for v in unseen) if not copied else ())
