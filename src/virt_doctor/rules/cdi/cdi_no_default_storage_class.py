"""CDINoDefaultStorageClass: no default storage class, and DataVolumes wait for one."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.evidence import event_evidence, events_with_reason, field
from virt_doctor.rules.diagnose.storage import default_class, dv_storage_class
from virt_doctor.wording import counted


@rule("CDINoDefaultStorageClass", needs=("StorageClass@all", "DataVolume"), reads=("PersistentVolumeClaim", "Event"),
      causes=("no-default", "unknown"))
def cdi_no_default_storage_class(snap: Snapshot) -> Iterator[Detection]:
    """Neither a default nor a default-virt storage class exists while DataVolumes that name none are pending."""
    if default_class(snap) is not None:
        return
    pending = [dv for dv in snap.kind("DataVolume") if not dv_storage_class(dv)
               and str(a.status(dv).get("phase") or "Pending") in ("Pending", "")]
    claims = [pvc for pvc in snap.kind("PersistentVolumeClaim") if not a.spec(pvc).get("storageClassName")
              and a.status(pvc).get("phase") == "Pending"]
    if not pending:
        return
    first = pending[0]
    names = ", ".join(f"{a.namespace(d)}/{a.name(d)}" for d in pending[:5])
    evidence = [Evidence(object="StorageClass", note=f"none of {len(snap.kind('StorageClass'))} classes is marked "
                                                     "default or default-virt")]
    evidence += [field(d, "status.phase", a.status(d).get("phase") or "(unset)", "names no storage class")
                 for d in pending[:5]]
    for claim in claims[:5]:  # and what the PV controller said of it, in its own words
        evidence.append(field(claim, "status.phase", "Pending", "a claim without storage class, blocked too"))
        evidence += [event_evidence(e) for e in events_with_reason(snap, claim, ("FailedBinding",))[-1:]]
    candidates = sorted(a.name(sc) for sc in snap.kind("StorageClass"))
    yield Detection(
        Subject("DataVolume", a.namespace(first), a.name(first)), "no-default",
        f"no storage class is marked default, and {counted(len(pending), 'DataVolume')} that "
        f"{'names none waits' if len(pending) == 1 else 'name none wait'} for one "
        f"({names}{', ...' if len(pending) > 5 else ''})",
        since=min((t for t in (a.created(d) for d in pending) if t), default=None), evidence=tuple(evidence),
        params={"storage-class": candidates[0]} if candidates else {})
