"""CDIMultipleDefaultVirtStorageClasses: more than one storage class is the default for virtualization."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.evidence import field
from virt_doctor.rules.diagnose.storage import DEFAULT_VIRT_SC, classes_marked


@rule("CDIMultipleDefaultVirtStorageClasses", needs=("StorageClass",), causes=("several-defaults", "unknown"))
def cdi_multiple_default_virt_storage_classes(snap: Snapshot) -> Iterator[Detection]:
    """More than one StorageClass has storageclass.kubevirt.io/is-default-virt-class=true."""
    marked = classes_marked(snap, DEFAULT_VIRT_SC)
    if len(marked) < 2:
        return
    chosen = marked[0]
    names = ", ".join(a.name(sc) for sc in marked)
    yield Detection(
        Subject("StorageClass", "", a.name(chosen)), "several-defaults",
        f"{len(marked)} storage classes are the default for virtualization ({names}); new DataVolumes without a "
        f"storage class get {a.name(chosen)}, the most recently created",
        evidence=tuple(field(sc, f"metadata.annotations[{DEFAULT_VIRT_SC}]", "true",
                             f"created {(sc.get('metadata') or {}).get('creationTimestamp')}") for sc in marked),
        params={})  # which class to keep is the user's choice: <storage-class> stays for them to fill
