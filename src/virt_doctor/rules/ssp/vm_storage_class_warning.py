"""VMStorageClassWarning: a running Windows VM uses an RBD block volume without krbd:rxbounce."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.evidence import field
from virt_doctor.rules.diagnose.vms import vmi_of, volume_claims

Obj = dict[str, Any]


def is_windows(vm: Obj, vmi: Obj | None) -> bool:
    """Windows by template labels, the os annotation, the preference, or what the guest agent reports."""
    template_meta = (a.spec(vm).get("template") or {}).get("metadata") or {}
    for labels in (a.labels(vm), template_meta.get("labels") or {}):
        if any(k.startswith("os.template.kubevirt.io/win") for k in labels):
            return True
    template_annotations = template_meta.get("annotations") or {}  # the template's wins, as a merge would
    os_name = template_annotations.get("vm.kubevirt.io/os", a.annotations(vm).get("vm.kubevirt.io/os", ""))
    if str(os_name).startswith("win"):
        return True
    if str((a.spec(vm).get("preference") or {}).get("name", "")).startswith("windows"):
        return True
    return vmi is not None and (a.status(vmi).get("guestOSInfo") or {}).get("id") == "mswindows"


def _lacks_rxbounce(sc: Obj) -> bool:
    """A Ceph RBD class whose mapOptions lack krbd:rxbounce (what a Windows guest's block volume needs)."""
    return str(sc.get("provisioner", "")).endswith("rbd.csi.ceph.com") and \
        "krbd:rxbounce" not in str((sc.get("parameters") or {}).get("mapOptions") or "")


@rule("VMStorageClassWarning", focus=("namespace",), needs=("VirtualMachine", "StorageClass", "PersistentVolumeClaim"),
      reads=("DataVolume", "VirtualMachineInstance"),
      causes=("rbd-without-rxbounce", "unknown"))
def vm_storage_class_warning(snap: Snapshot) -> Iterator[Detection]:
    """Running Windows VMs with a Block PVC on an *rbd.csi.ceph.com class whose mapOptions lack krbd:rxbounce.
    The claims such a class serves in Block mode are found first: most clusters have none, and then no VM need be
    looked at; a VM's claims are looked up before whether it runs Windows (the costlier question)."""
    lacking = {a.name(sc): sc for sc in snap.kind("StorageClass") if _lacks_rxbounce(sc)}
    exposed = {(a.namespace(pvc), a.name(pvc)): (pvc, lacking[class_name]) for pvc in snap.kind("PersistentVolumeClaim")
               if a.spec(pvc).get("volumeMode") == "Block"
               and (class_name := str(a.spec(pvc).get("storageClassName") or "")) in lacking}
    if not exposed:
        return
    for vm in snap.kind("VirtualMachine"):
        ns = a.namespace(vm)
        found = next((exposed[key] for key in ((ns, _claim_name(snap, ns, source, claim))
                                               for _volume, source, claim in volume_claims(vm)) if key in exposed), None)
        if found is None:
            continue
        vmi = vmi_of(snap, vm)
        if vmi is None or a.vmi_phase(vmi) != "Running" or not is_windows(vm, vmi):
            continue
        pvc, sc = found
        options = str((sc.get("parameters") or {}).get("mapOptions") or "")
        yield Detection(
            Subject("VirtualMachine", ns, a.name(vm)), "rbd-without-rxbounce",
            f"Windows VM {ns}/{a.name(vm)} uses RBD block volume {a.name(pvc)} from storage class {a.name(sc)}, "
            "whose mapOptions lack krbd:rxbounce",
            evidence=(field(pvc, "spec.storageClassName", a.name(sc), "volumeMode Block"),
                      field(sc, "parameters.mapOptions", options or "(not set)", f"provisioner {sc.get('provisioner')}")),
            params={"namespace": ns, "vm": a.name(vm), "pvc": a.name(pvc), "storage-class": a.name(sc)})


def _claim_name(snap: Snapshot, ns: str, source: str, claim: str) -> str:
    """The PVC behind a VM volume: a DataVolume's status.claimName (or its own name), else the claim named."""
    dv = snap.get("DataVolume", ns, claim) if source == "dataVolume" else None
    return str(a.status(dv).get("claimName") or claim) if dv else claim
