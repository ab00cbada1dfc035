"""KubeMacPoolDuplicateMacsFound: the same MAC address is configured on more than one VM."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule


@rule("KubeMacPoolDuplicateMacsFound", needs=("VirtualMachine",), reads=("VirtualMachineInstance",), causes=("duplicate-mac", "unknown"))
def kube_mac_pool_duplicate_macs_found(snap: Snapshot) -> Iterator[Detection]:
    """A MAC address on interfaces of more than one VM (spec) or running VMI (status): one finding per MAC.
    Evidence is built only for the MACs held twice (every VM has a MAC: building it for all cost most of the rule)."""
    owners: dict[str, dict[tuple[str, str], tuple[dict[str, Any], int, dict[str, Any]]]] = defaultdict(dict)
    for vm in snap.kind("VirtualMachine"):
        interfaces = ((a.vm_template_spec(vm).get("domain") or {}).get("devices") or {}).get("interfaces") or []
        for index, iface in enumerate(interfaces):
            mac = iface.get("macAddress")
            if mac:
                owners[str(mac).lower()].setdefault((a.namespace(vm), a.name(vm)), (vm, index, iface))
    for vmi in snap.kind("VirtualMachineInstance"):
        for index, iface in enumerate(a.status(vmi).get("interfaces") or []):
            mac = iface.get("mac")
            if mac:
                owners[str(mac).lower()].setdefault((a.namespace(vmi), a.name(vmi)), (vmi, index, iface))
    for mac in sorted(m for m, holders in owners.items() if len(holders) > 1):
        holders = owners[mac]
        keys = sorted(holders)
        pairs = ", ".join(f"{ns}/{name}" for ns, name in keys)
        ns, name = keys[1]
        yield Detection(Subject("VirtualMachine", keys[0][0], keys[0][1]), "duplicate-mac",
                        f"MAC {mac} is used by {len(keys)} VMs: {pairs}",
                        evidence=tuple(_evidence(*holders[k]) for k in keys), params={"namespace": ns, "vm": name},
                        labels={"mac": mac})


def _evidence(obj: dict[str, Any], index: int, iface: dict[str, Any]) -> Evidence:
    """Where the object sets (a VM's spec) or reports (a VMI's status) the MAC."""
    if obj.get("kind") == "VirtualMachineInstance":
        return Evidence(object=a.ref(obj), path=f"status.interfaces[{index}].mac", value=iface.get("mac"),
                        note=f"interface {iface.get('name')}")
    return Evidence(object=a.ref(obj), path=f"spec.template.spec.domain.devices.interfaces[{index}].macAddress",
                    value=iface.get("macAddress"), note=f"interface {iface.get('name')}")
