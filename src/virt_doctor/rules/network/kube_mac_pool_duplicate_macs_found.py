"""KubeMacPoolDuplicateMacsFound: the same MAC address is configured on more than one VM."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule


@rule("KubeMacPoolDuplicateMacsFound", needs=("VirtualMachine",), reads=("VirtualMachineInstance",), causes=("duplicate-mac", "unknown"))
def kube_mac_pool_duplicate_macs_found(snap: Snapshot) -> Iterator[Detection]:
    """A MAC address on interfaces of more than one VM (spec) or running VMI (status): one finding per MAC.
    A first pass finds the MACs held twice with one dict entry a MAC (every VM has one: more per MAC cost most of
    the rule); only the objects holding those are looked at again, for the evidence."""
    first: dict[str, tuple[str, str]] = {}
    twice: set[str] = set()
    for obj, field, interfaces in _interfaces(snap):
        key = None
        for iface in interfaces:
            mac = iface.get(field)
            if mac:
                mac = str(mac).lower()
                key = key or (a.namespace(obj), a.name(obj))
                if first.setdefault(mac, key) != key:
                    twice.add(mac)
    if not twice:
        return
    owners: dict[str, dict[tuple[str, str], tuple[dict[str, Any], int, dict[str, Any]]]] = defaultdict(dict)
    for obj, field, interfaces in _interfaces(snap):
        for index, iface in enumerate(interfaces):
            mac = iface.get(field)
            if mac and str(mac).lower() in twice:
                owners[str(mac).lower()].setdefault((a.namespace(obj), a.name(obj)), (obj, index, iface))
    for mac in sorted(m for m, holders in owners.items() if len(holders) > 1):
        holders = owners[mac]
        keys = sorted(holders)
        pairs = ", ".join(f"{ns}/{name}" for ns, name in keys)
        ns, name = keys[1]
        yield Detection(Subject("VirtualMachine", keys[0][0], keys[0][1]), "duplicate-mac",
                        f"MAC {mac} is used by {len(keys)} VMs: {pairs}",
                        evidence=tuple(_evidence(*holders[k]) for k in keys), params={"namespace": ns, "vm": name},
                        labels={"mac": mac})


def _interfaces(snap: Snapshot) -> Iterator[tuple[dict[str, Any], str, list[dict[str, Any]]]]:
    """Each VM's interfaces (spec: macAddress) and each VMI's (status: mac), with the field that holds the MAC."""
    for vm in snap.kind("VirtualMachine"):
        template = ((vm.get("spec") or {}).get("template") or {}).get("spec") or {}  # a.vm_template_spec, inline:
        interfaces = ((template.get("domain") or {}).get("devices") or {}).get("interfaces")  # every VM is asked
        if interfaces:
            yield vm, "macAddress", interfaces
    for vmi in snap.kind("VirtualMachineInstance"):
        interfaces = (vmi.get("status") or {}).get("interfaces")
        if interfaces:
            yield vmi, "mac", interfaces


def _evidence(obj: dict[str, Any], index: int, iface: dict[str, Any]) -> Evidence:
    """Where the object sets (a VM's spec) or reports (a VMI's status) the MAC."""
    if obj.get("kind") == "VirtualMachineInstance":
        return Evidence(object=a.ref(obj), path=f"status.interfaces[{index}].mac", value=iface.get("mac"),
                        note=f"interface {iface.get('name')}")
    return Evidence(object=a.ref(obj), path=f"spec.template.spec.domain.devices.interfaces[{index}].macAddress",
                    value=iface.get("macAddress"), note=f"interface {iface.get('name')}")
