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
    labels = {**a.labels(vm), **(template_meta.get("labels") or {})}
    if any(k.startswith("os.template.kubevirt.io/win") for k in labels):
        return True
    annotations = {**a.annotations(vm), **(template_meta.get("annotations") or {})}
    if str(annotations.get("vm.kubevirt.io/os", "")).startswith("win"):
        return True
    if str((a.spec(vm).get("preference") or {}).get("name", "")).startswith("windows"):
        return True
    return vmi is not None and (a.status(vmi).get("guestOSInfo") or {}).get("id") == "mswindows"


@rule("VMStorageClassWarning", focus=("namespace",), needs=("VirtualMachine", "StorageClass", "PersistentVolumeClaim"),
      reads=("DataVolume", "VirtualMachineInstance"),
      causes=("rbd-without-rxbounce", "unknown"))
def vm_storage_class_warning(snap: Snapshot) -> Iterator[Detection]:
    """Running Windows VMs with a Block PVC on an *rbd.csi.ceph.com class whose mapOptions lack krbd:rxbounce."""
    for vm in snap.kind("VirtualMachine"):
        vmi = vmi_of(snap, vm)
        if vmi is None or a.vmi_phase(vmi) != "Running" or not is_windows(vm, vmi):
            continue
        ns = a.namespace(vm)
        for _volume, source, claim in volume_claims(vm):
            dv = snap.get("DataVolume", ns, claim) if source == "dataVolume" else None
            pvc = snap.get("PersistentVolumeClaim", ns, str(a.status(dv).get("claimName") or claim) if dv else claim)
            if pvc is None or a.spec(pvc).get("volumeMode") != "Block":
                continue
            sc = snap.get("StorageClass", "", str(a.spec(pvc).get("storageClassName") or ""))
            if sc is None or not str(sc.get("provisioner", "")).endswith("rbd.csi.ceph.com"):
                continue
            options = str((sc.get("parameters") or {}).get("mapOptions") or "")
            if "krbd:rxbounce" in options:
                continue
            yield Detection(
                Subject("VirtualMachine", ns, a.name(vm)), "rbd-without-rxbounce",
                f"Windows VM {ns}/{a.name(vm)} uses RBD block volume {a.name(pvc)} from storage class {a.name(sc)}, "
                "whose mapOptions lack krbd:rxbounce",
                evidence=(field(pvc, "spec.storageClassName", a.name(sc), "volumeMode Block"),
                          field(sc, "parameters.mapOptions", options or "(not set)", f"provisioner {sc.get('provisioner')}")),
                params={"namespace": ns, "vm": a.name(vm), "pvc": a.name(pvc), "storage-class": a.name(sc)})
            break
