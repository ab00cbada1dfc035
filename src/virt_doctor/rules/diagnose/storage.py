"""Storage classes and profiles as CDI sees them: defaults, ReadWriteMany, smart clone, completeness."""

from __future__ import annotations

from typing import Any

from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.snapshot import Missing, Snapshot
from virt_doctor.timeutil import parse_time

Obj = dict[str, Any]
DEFAULT_SC = "storageclass.kubernetes.io/is-default-class"
DEFAULT_VIRT_SC = "storageclass.kubevirt.io/is-default-virt-class"
# CDI's storagecapabilities.UnsupportedProvisioners: never counted as incomplete
UNSUPPORTED_PROVISIONERS = frozenset({
    "openshift-storage.ceph.rook.io/bucket", "rook-ceph.ceph.rook.io/bucket", "openshift-storage.noobaa.io/obc",
    "stork-snapshot", "kubernetes.io/no-provisioner",
})


def classes_marked(snap: Snapshot, annotation: str) -> list[Obj]:
    """Storage classes whose annotation is "true", newest first (CDI picks the most recently created)."""
    marked = [sc for sc in snap.kind("StorageClass") if a.annotations(sc).get(annotation) == "true"]
    return sorted(marked, key=lambda sc: (str(parse_time((sc.get("metadata") or {}).get("creationTimestamp")) or ""),
                                          a.name(sc)), reverse=True)


def default_class(snap: Snapshot) -> Obj | None:
    """The class a DataVolume without storageClassName gets: the default virt class, else the cluster default."""
    for annotation in (DEFAULT_VIRT_SC, DEFAULT_SC):
        marked = classes_marked(snap, annotation)
        if marked:
            return marked[0]
    return None


def dv_storage_class(dv: Obj) -> str:
    """The storage class a DataVolume names ('' when it relies on the default)."""
    dv_spec = a.spec(dv)
    return str((dv_spec.get("storage") or {}).get("storageClassName") or
               (dv_spec.get("pvc") or {}).get("storageClassName") or "")


def profile_rwx(profile: Obj) -> bool:
    """Some claim property set of the profile offers ReadWriteMany."""
    return any("ReadWriteMany" in (cps.get("accessModes") or [])
               for cps in a.status(profile).get("claimPropertySets") or [])


def profile_smart_clone(snap: Snapshot, profile: Obj) -> tuple[bool | None, str]:
    """CDI's smart-clone test: csi-clone with a CSIDriver, or snapshot (or unset) with a VolumeSnapshotClass.

    None when the answer rests on a kind the source did not list (no CSIDriver or VolumeSnapshotClass seen).
    """
    strategy = a.status(profile).get("cloneStrategy")
    provisioner = str(a.status(profile).get("provisioner") or "")
    if strategy == "copy":
        return False, "cloneStrategy is copy (host-assisted)"
    if strategy == "csi-clone":
        driver = snap.lookup("CSIDriver", "", provisioner)
        if not isinstance(driver, Missing):
            return True, f"csi-clone with CSIDriver {provisioner}"
        if driver.seen:
            return False, f"cloneStrategy csi-clone but no CSIDriver {provisioner}"
        return None, f"cloneStrategy csi-clone; whether CSIDriver {provisioner} exists is unknown ({driver.reason})"
    classes = [v for v in snap.kind("VolumeSnapshotClass") if v.get("driver") == provisioner]
    if classes:
        return True, f"snapshots through VolumeSnapshotClass {a.name(classes[0])}"
    if snap.listed("VolumeSnapshotClass"):
        return False, f"cloneStrategy {strategy or 'unset'} and no VolumeSnapshotClass for {provisioner}"
    return None, (f"cloneStrategy {strategy or 'unset'}; whether a VolumeSnapshotClass for {provisioner} exists is "
                  f"unknown ({snap.seen.why_unseen('VolumeSnapshotClass')})")


def profile_incomplete(profile: Obj) -> str | None:
    """Why CDI counts the profile incomplete (no claim property sets, or one without modes), or None."""
    provisioner = str(a.status(profile).get("provisioner") or "")
    if provisioner in UNSUPPORTED_PROVISIONERS:
        return None
    sets = a.status(profile).get("claimPropertySets") or []
    if not sets:
        return "status.claimPropertySets is empty"
    for index, cps in enumerate(sets):
        if not cps.get("accessModes") or not cps.get("volumeMode"):
            return f"claimPropertySets[{index}] lacks accessModes or volumeMode"
    return None
