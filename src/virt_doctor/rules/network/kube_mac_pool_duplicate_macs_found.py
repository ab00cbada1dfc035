"""KubeMacPoolDuplicateMacsFound: the same MAC address is configured on more than one VM."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule


@rule("KubeMacPoolDuplicateMacsFound", needs=("VirtualMachine",), reads=("VirtualMachineInstance",), causes=("duplicate-mac", "unknown"))
def kube_mac_pool_duplicate_macs_found(snap: Snapshot) -> Iterator[Detection]:
    """A MAC address on interfaces of more than one VM (spec) or running VMI (status): one finding per MAC."""
    owners: dict[str, dict[tuple[str, str], Evidence]] = defaultdict(dict)
    for vm in snap.kind("VirtualMachine"):
        interfaces = ((a.vm_template_spec(vm).get("domain") or {}).get("devices") or {}).get("interfaces") or []
        for index, iface in enumerate(interfaces):
            mac = str(iface.get("macAddress") or "").lower()
            if mac:
                owners[mac].setdefault((a.namespace(vm), a.name(vm)), Evidence(
                    object=a.ref(vm), path=f"spec.template.spec.domain.devices.interfaces[{index}].macAddress",
                    value=iface.get("macAddress"), note=f"interface {iface.get('name')}"))
    for vmi in snap.kind("VirtualMachineInstance"):
        for index, iface in enumerate(a.status(vmi).get("interfaces") or []):
            mac = str(iface.get("mac") or "").lower()
            if mac:
                owners[mac].setdefault((a.namespace(vmi), a.name(vmi)), Evidence(
                    object=a.ref(vmi), path=f"status.interfaces[{index}].mac", value=iface.get("mac"),
                    note=f"interface {iface.get('name')}"))
    for mac, holders in sorted(owners.items()):
        if len(holders) < 2:
            continue
        keys = sorted(holders)
        pairs = ", ".join(f"{ns}/{name}" for ns, name in keys)
        ns, name = keys[1]
        yield Detection(Subject("VirtualMachine", keys[0][0], keys[0][1]), "duplicate-mac",
                        f"MAC {mac} is used by {len(keys)} VMs: {pairs}",
                        evidence=tuple(holders[k] for k in keys), params={"namespace": ns, "vm": name},
                        labels={"mac": mac})
