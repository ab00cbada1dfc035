"""CDIDefaultStorageClassDegraded: the default class for VM disks lacks ReadWriteMany or smart cloning."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import CannotEvaluate, Detection, Evidence, Missing, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.evidence import field
from virt_doctor.rules.diagnose.storage import (
    DEFAULT_SC,
    DEFAULT_VIRT_SC,
    default_class,
    profile_rwx,
    profile_smart_clone,
)


@rule("CDIDefaultStorageClassDegraded", needs=("StorageClass@all", "StorageProfile"),
      reads=("CSIDriver", "VolumeSnapshotClass"), causes=("no-readwritemany", "no-smart-clone", "unknown"))
def cdi_default_storage_class_degraded(snap: Snapshot) -> Iterator[Detection]:
    """The default (virt) class's StorageProfile offers no ReadWriteMany, or no CSI clone or snapshot clone."""
    sc = default_class(snap)
    if sc is None:
        return  # CDINoDefaultStorageClass's case
    name = a.name(sc)
    profile = snap.lookup("StorageProfile", "", name)
    if isinstance(profile, Missing):
        raise CannotEvaluate(f"no StorageProfile for the default storage class {name}: {profile.reason}")
    rwx = profile_rwx(profile)
    smart, how = profile_smart_clone(snap, profile)
    if rwx and smart:
        return
    if rwx and smart is None:
        raise CannotEvaluate(f"the default class {name} offers ReadWriteMany; smart cloning cannot be told: {how}")
    which = "the default virtualization class" if a.annotations(sc).get(DEFAULT_VIRT_SC) == "true" else \
        "the cluster default class"
    lacks = [w for w, ok in (("ReadWriteMany", rwx), ("smart cloning", smart)) if ok is False]
    annotation = DEFAULT_VIRT_SC if which.startswith("the default virt") else DEFAULT_SC
    evidence: list[Evidence] = [field(sc, f"metadata.annotations[{annotation}]", "true", which)]
    if not rwx:
        modes = [f"{'+'.join(cps.get('accessModes') or [])}/{cps.get('volumeMode') or 'Filesystem'}"
                 for cps in a.status(profile).get("claimPropertySets") or []]
        evidence.append(field(profile, "status.claimPropertySets", ", ".join(modes) or None,
                              "no ReadWriteMany: VMs cannot live-migrate"))
    if not smart:  # lacking, or unknown: say which
        evidence.append(field(profile, "status.cloneStrategy", a.status(profile).get("cloneStrategy"), how))
    # prefer a capable class that is already marked default-virt (two are, or this alert would not name this one)
    ordered = sorted(snap.kind("StorageClass"), key=lambda sc: (a.annotations(sc).get(DEFAULT_VIRT_SC) != "true",
                                                                 a.name(sc)))
    capable = [a.name(other) for other in ordered if a.name(other) != name
               and (p := snap.get("StorageProfile", "", a.name(other))) is not None and profile_rwx(p)
               and profile_smart_clone(snap, p)[0] is True]
    if capable:
        evidence.append(Evidence(object=f"StorageClass/{capable[0]}", note="offers ReadWriteMany and smart cloning"))
    yield Detection(Subject("StorageClass", "", name), "no-readwritemany" if not rwx else "no-smart-clone",
                    f"{which}, {name}, lacks {' and '.join(lacks)}"
                    + (f"; {capable[0]} offers both" if capable else "; no class offers both"),
                    evidence=tuple(evidence), params={"storage-class": name, **({"capable-class": capable[0]}
                                                                                if capable else {})})
