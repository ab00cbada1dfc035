"""VMCannotBeEvicted: a running VMI must be live-migrated on eviction, but cannot be migrated."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, discover, rule
from virt_doctor.rules.diagnose.evidence import cond_evidence, field

REASON_CAUSES = {
    "DisksNotLiveMigratable": "disks-not-live-migratable",
    "InterfaceNotLiveMigratable": "interface-not-live-migratable",
}
PASSTHROUGH_REASONS = frozenset({
    "HostDeviceNotLiveMigratable", "SEVNotLiveMigratable", "SecureExecutionNotLiveMigratable",
    "TDXNotLiveMigratable", "HotplugNotLiveMigratable", "CPUModeLiveMigratable", "VirtIOFSNotLiveMigratable",
    "NoTSCFrequencyNotLiveMigratable", "HypervPassthroughNotLiveMigratable",
    "PersistentReservationNotLiveMigratable",
})


@rule("VMCannotBeEvicted", focus=("namespace",), needs=("VirtualMachineInstance",), reads=("KubeVirt",),
      causes=("disks-not-live-migratable", "interface-not-live-migratable", "host-device-not-live-migratable",
              "unknown"))
def vm_cannot_be_evicted(snap: Snapshot) -> Iterator[Detection]:
    """evictionStrategy LiveMigrate (on the VMI or the cluster default) and LiveMigratable=False."""
    cr = discover.kubevirt_cr(snap)
    default = str((a.spec(cr).get("configuration") or {}).get("evictionStrategy") or "") if cr else ""
    for vmi in snap.kind("VirtualMachineInstance"):
        if a.vmi_phase(vmi) != "Running":
            continue
        own = a.spec(vmi).get("evictionStrategy")
        strategy = str(own or default)
        if strategy != "LiveMigrate":
            continue
        cond = a.condition(vmi, "LiveMigratable")
        if cond is None or cond.get("status") != "False":
            continue
        reason = str(cond.get("reason") or "")
        cause = REASON_CAUSES.get(reason, "host-device-not-live-migratable" if reason in PASSTHROUGH_REASONS
                                  else "unknown")
        source = (field(vmi, "spec.evictionStrategy", own) if own else
                  field(cr, "spec.configuration.evictionStrategy", default, "the cluster default"))  # type: ignore[arg-type]
        ns, name = a.namespace(vmi), a.name(vmi)
        yield Detection(
            Subject("VirtualMachineInstance", ns, name), cause,
            f"VMI {ns}/{name} on {a.vmi_node(vmi) or 'no node'} must live-migrate on eviction but cannot: "
            f"{cond.get('message') or reason}",
            since=a.transitioned(cond) or a.vmi_phase_since(vmi),
            evidence=(source, cond_evidence(vmi, cond, "blocks node drains")),
            params={"namespace": ns, "vm": name, "node": a.vmi_node(vmi)},
            labels={"node": a.vmi_node(vmi)} if a.vmi_node(vmi) else {},
            checked=(f"LiveMigratable reason {reason!r} is not one virt-doctor knows",) if cause == "unknown" else ())
