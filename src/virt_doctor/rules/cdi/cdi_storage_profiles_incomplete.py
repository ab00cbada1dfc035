"""CDIStorageProfilesIncomplete: a StorageProfile lacks the access or volume mode CDI needs."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.evidence import field
from virt_doctor.rules.diagnose.storage import profile_incomplete


@rule("CDIStorageProfilesIncomplete", needs=("StorageProfile",), causes=("unknown-provisioner", "unknown"))
def cdi_storage_profiles_incomplete(snap: Snapshot) -> Iterator[Detection]:
    """One finding per storage class whose profile has no complete claim property set."""
    for profile in sorted(snap.kind("StorageProfile"), key=a.name):
        why = profile_incomplete(profile)
        if why is None:
            continue
        name = a.name(profile)
        provisioner = a.status(profile).get("provisioner")
        yield Detection(
            Subject("StorageProfile", "", name), "unknown-provisioner",
            f"CDI cannot infer access and volume modes for storage class {name} (provisioner {provisioner}): {why}",
            evidence=(field(profile, "status.provisioner", provisioner, "not in CDI's table of known provisioners"),
                      field(profile, "status.claimPropertySets", a.status(profile).get("claimPropertySets") or [],
                            why)),
            params={"storage-class": name}, labels={"storageclass": name})
