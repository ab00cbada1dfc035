"""OutdatedVirtualMachineInstanceWorkloads: VMIs still run in old virt-launcher pods 24 h after an update."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, discover, rule
from virt_doctor.rules.diagnose.evidence import cond_evidence, field

OUTDATED_LABEL = "kubevirt.io/outdatedLauncherImage"


def is_outdated(vmi: dict[str, Any], current_launcher: str) -> bool:
    """virt-controller's label; or, for tag references from the installed registry, another tag.

    Downstream installs reference the launcher by digest, which cannot be
    compared with the KubeVirt version: there only the label counts.
    """
    if OUTDATED_LABEL in a.labels(vmi):
        return True
    image = str(a.status(vmi).get("launcherContainerImageVersion") or "")
    if not current_launcher or "@" in image or not image.startswith(current_launcher.rsplit(":", 1)[0] + ":"):
        return False
    return image != current_launcher


@rule("OutdatedVirtualMachineInstanceWorkloads", needs=("VirtualMachineInstance", "KubeVirt"), reads=("VirtualMachineInstanceMigration",),
      causes=("workload-updates-not-configured", "vmi-not-live-migratable", "migration-failing", "unknown"))
def outdated_virtual_machine_instance_workloads(snap: Snapshot) -> Iterator[Detection]:
    """Running VMIs whose launcher is older than the installed KubeVirt."""
    cr = discover.kubevirt_cr(snap)
    if cr is None:
        return
    st = a.status(cr)
    if st.get("outdatedVirtualMachineInstanceWorkloads") == 0:
        return  # virt-operator counts none outdated
    registry, version = st.get("targetKubeVirtRegistry"), st.get("targetKubeVirtVersion")
    current = f"{registry}/virt-launcher:{version}" if registry and version else ""
    outdated = [v for v in snap.kind("VirtualMachineInstance")
                if a.vmi_phase(v) == "Running" and is_outdated(v, current)]
    if not outdated:
        return
    updated = max((t for t in (a.transitioned(a.condition(cr, k)) for k in ("Available", "Progressing")) if t),
                  default=None)
    methods = (a.spec(cr).get("workloadUpdateStrategy") or {}).get("workloadUpdateMethods") or []
    ns = discover.kubevirt_namespace(snap)
    if not methods:
        names = ", ".join(f"{a.namespace(v)}/{a.name(v)}" for v in outdated[:5])
        yield Detection(Subject("KubeVirt", a.namespace(cr), a.name(cr)), "workload-updates-not-configured",
                        f"{len(outdated)} VMIs run outdated virt-launcher pods and automatic workload updates are "
                        f"off ({names}{', ...' if len(outdated) > 5 else ''})", since=updated,
                        evidence=(field(cr, "spec.workloadUpdateStrategy.workloadUpdateMethods", methods,
                                        "empty: nothing updates running VMIs"),
                                  field(cr, "status.observedKubeVirtVersion", st.get("observedKubeVirtVersion"))),
                        params={"kubevirt-namespace": ns})
        return
    for vmi in outdated:
        yield _per_vmi(snap, vmi, updated, current)


def _per_vmi(snap: Snapshot, vmi: dict[str, Any], updated: Any, current: str) -> Detection:
    vmi_ns, name = a.namespace(vmi), a.name(vmi)
    subject = Subject("VirtualMachineInstance", vmi_ns, name)
    params = {"namespace": vmi_ns, "vm": name}
    base = [field(vmi, "status.launcherContainerImageVersion", a.status(vmi).get("launcherContainerImageVersion"),
                  f"installed: {current}" if current else "outdated")]
    head = f"VMI {vmi_ns}/{name} runs an outdated virt-launcher"
    migratable = a.condition(vmi, "LiveMigratable")
    if migratable is not None and migratable.get("status") == "False":
        return Detection(subject, "vmi-not-live-migratable", f"{head}: it cannot be live-migrated "
                         f"({migratable.get('reason')})", since=updated,
                         evidence=tuple(base + [cond_evidence(vmi, migratable)]), params=params)
    failed = [m for m in snap.index("migrations_by_vmi", (vmi_ns, name)) if a.status(m).get("phase") == "Failed"
              and (updated is None or (a.created(m) or updated) >= updated)]
    if failed:
        last = failed[-1]
        reason = (a.status(last).get("migrationState") or {}).get("failureReason") or "see the migration's events"
        return Detection(subject, "migration-failing", f"{head}: its update migrations fail ({len(failed)} failed)",
                         since=updated, evidence=tuple(base + [field(last, "status.phase", "Failed", str(reason))]),
                         params=params)
    return Detection(subject, "unknown", head, since=updated, evidence=tuple(base), params=params,
                     checked=("LiveMigratable condition", "failed migrations since the update",
                              "workload update methods"))
