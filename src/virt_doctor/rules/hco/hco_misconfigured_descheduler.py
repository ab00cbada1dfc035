"""HCOMisconfiguredDescheduler: the Kube Descheduler runs without a profile that live-migrates VMs."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule

NAMESPACE, NAME = "openshift-kube-descheduler-operator", "cluster"  # the one CR the HyperConverged operator reads
VM_AWARE = ("KubeVirtRelieveAndMigrate", "DevKubeVirtRelieveAndMigrate", "LongLifecycle")


@rule("HCOMisconfiguredDescheduler", needs=("KubeDescheduler",), causes=("no-kubevirt-profile", "unknown"))
def hco_misconfigured_descheduler(snap: Snapshot) -> Iterator[Detection]:
    """The KubeDescheduler CR lists none of the profiles that evict VMs by live migration."""
    cr = snap.get("KubeDescheduler", NAMESPACE, NAME)
    if cr is None:
        return  # no descheduler CR: nothing to misconfigure (HCO's own reading)
    profiles = [str(p) for p in a.spec(cr).get("profiles") or []]
    if any(p in VM_AWARE for p in profiles):
        return
    customizations = a.spec(cr).get("profileCustomizations") or {}
    evidence = [Evidence(object=a.ref(cr), path="spec.profiles", value=profiles or None,
                         note=f"none of {', '.join(VM_AWARE)}")]
    if customizations:
        evidence.append(Evidence(object=a.ref(cr), path="spec.profileCustomizations", value=customizations))
    yield Detection(Subject("KubeDescheduler", NAMESPACE, NAME), "no-kubevirt-profile",
                    f"the descheduler runs profiles {', '.join(profiles) or '(none)'}, none of which live-migrates "
                    "VMs instead of evicting them", evidence=tuple(evidence))
