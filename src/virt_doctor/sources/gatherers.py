"""Which gatherer wrote each image directory of a must-gather, and what its scripts prove was listed.

`oc adm must-gather --image=A --image=B` writes one directory per image, each with the `version` file its
gatherer writes first. What a gatherer lists is a fact of its scripts, not of the files that happen to exist:
the kubevirt must-gather's `gather_crs` lists every custom resource of every `*kubevirt.io*` CRD across all
namespaces and writes one file per object, so a namespace without a VirtualMachineInstance file has none.
Each rule below names the script it comes from (kubevirt/must-gather and openshift/must-gather,
`collection-scripts/`), and what in the dump proves that script ran to the end.

A proof is only as good as the whole dump: a cut archive proves nothing beyond what was read (dump.py drops
these listings then).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from virt_doctor.snapshot.seen import EVERYWHERE, Scope
from virt_doctor.sources import resources

KUBEVIRT = "kubevirt/must-gather"
OPENSHIFT = "openshift/must-gather"
COLLECT = "virt-doctor collect"
INSPECT = "oc adm inspect"
PLAIN = "kubectl get -o yaml"  # object files outside the must-gather layout (a List, or single objects)

# gather_crds: `oc adm inspect crd <name>` for every CRD whose name holds kubevirt.io
CRD_DIR = "cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions/"
MONITORING = "monitoring/"  # gather_monitoring's Prometheus answers
# gather_crs: `oc get crd | grep -e kubevirt.io -e snapshot.storage.k8s.io | grep -v virtualmachines.kubevirt.io`
CRS_VM_CRD = "virtualmachines.kubevirt.io"  # left to gather_virtualmachines (vmConvertor)

# `gather` runs its mandatory collectors one after another in this order (apiservices, cdi, crds, crs, hco,
# nodes, ns, resources, ssp, virtualmachines, webhooks, instancetypes, virtualization), then logs.sh. A file
# written by a later collector proves the earlier ones finished. Prefixes inside the image directory:
AFTER_CRS = ("nodes/", "webhooks/", "virtualization/", "must-gather.log")  # gather_nodes, _webhooks, ...
AFTER_VMS = ("webhooks/", "virtualization/", "must-gather.log")  # gather_webhooks, gather_virtualization, logs.sh
# gather_cdi inspects every PVC (`oc get pvc -A`) before gather_crds writes the CRD definitions
AFTER_CDI = (CRD_DIR,)


@dataclass
class Image:
    """One image directory: its gatherer and version (the `version` file), and what its files prove."""

    path: str  # the directory inside the dump ('' for the dump's root)
    gatherer: str = INSPECT
    version: str = ""
    crds: set[str] = field(default_factory=set)  # CRD definitions written by gather_crds
    markers: set[str] = field(default_factory=set)  # which AFTER_* prefixes have a file
    monitoring: list[str] = field(default_factory=list)  # Prometheus API answers gather_monitoring wrote
    leases: bool = False  # a Lease written by the openshift gather's `inspect leases --all-namespaces`

    def finished(self, after: tuple[str, ...]) -> bool:
        """Whether a collector that runs after the one in question left a file (so that one finished)."""
        return any(prefix in self.markers for prefix in after)

    def proves(self) -> list[tuple[Scope, str]]:
        """(scope listed everywhere, the script that listed it) for what this gatherer's scripts list."""
        found: list[tuple[Scope, str]] = []
        if self.gatherer == KUBEVIRT:
            if self.finished(AFTER_CRS):
                for crd in sorted(self.crds):
                    res = resources.by_crd_name(crd)
                    if res is not None and crd != CRS_VM_CRD and "kubevirt.io" in crd:
                        found.append((Scope(res.kind, EVERYWHERE), "gather_crs (every CR of the CRD, all namespaces)"))
            if CRS_VM_CRD in self.crds and self.finished(AFTER_VMS):
                found.append((Scope("VirtualMachine", EVERYWHERE), "gather_virtualmachines (vmConvertor lists every VM)"))
            if self.finished(AFTER_CDI):
                found.append((Scope("PersistentVolumeClaim", EVERYWHERE), "gather_cdi (inspects every PVC)"))
        if self.gatherer == OPENSHIFT and self.leases:  # (kube-system's and kube-node-lease's are always there)
            found.append((Scope("Lease", EVERYWHERE), "gather (oc adm inspect leases --all-namespaces)"))
        return found

    def describe(self) -> dict[str, Any]:
        """As the report's source.gatherers lists it."""
        return {"path": self.path or ".", "gatherer": self.gatherer, "version": self.version,
                "listed": [f"{scope.describe()}: {script}" for scope, script in self.proves()],
                "prometheus": list(self.monitoring)}


class Gatherers:
    """Told every path of the dump once (and each `version` file's text): the image directories and proofs."""

    def __init__(self) -> None:
        self.images: dict[str, Image] = {}
        # directory -> its image, the path inside, and CRD_DIR or MONITORING when its files are noted there
        self._places: dict[str, tuple[Image, str, str | None] | None] = {}

    def _image(self, prefix: str) -> Image:
        image = self.images.get(prefix)
        if image is None:
            image = self.images[prefix] = Image(prefix)
        return image

    def see(self, rel: str) -> tuple[Image, str, str | None] | None:
        """Note one path of the dump; return its image directory, the path inside it, and CRD_DIR or MONITORING
        when it is in one of those (None outside any image directory)."""
        directory, _, name = rel.rpartition("/")
        if name == "must-gather.log":
            self._image(directory).markers.add(name)
            return None
        try:  # a dump has far fewer directories than files
            place = self._places[directory]
        except KeyError:
            place = self._places[directory] = self._enter(directory)
        if place is None:
            return None
        image, inner_dir, kept = place
        inner = inner_dir + name
        if kept is CRD_DIR:
            image.crds.add(inner[len(CRD_DIR):].rsplit(".", 1)[0])
        elif kept is MONITORING and name.endswith(".json"):
            image.monitoring.append(inner)
        return image, inner, kept

    def _enter(self, directory: str) -> tuple[Image, str, str | None] | None:
        """A directory's first file: its image directory and path inside it (ending in '/'), and what a file
        there proves of the image (a collector's directory: that collector ran)."""
        found = split_image(directory + "/")
        if found is None:
            return None
        image, inner_dir = self._image(found[0]), found[1]
        if inner_dir.startswith(CRD_DIR):
            image.markers.add(CRD_DIR)
            return image, inner_dir, CRD_DIR
        for prefix in (*AFTER_CRS, *AFTER_VMS):
            if inner_dir.startswith(prefix):
                image.markers.add(prefix)
        if inner_dir.startswith("namespaces/") and "/coordination.k8s.io/leases/" in inner_dir:
            image.leases = True
        return image, inner_dir, MONITORING if inner_dir.startswith(MONITORING) else None

    def version_file(self, rel: str, data: bytes) -> None:
        """A gatherer's `version` file: its name on the first line, its version (image tag) on the second."""
        prefix = rel.rsplit("/", 1)[0] if "/" in rel else ""
        lines = [line.strip() for line in data.decode("utf-8", errors="replace").splitlines() if line.strip()]
        if not lines or lines[0] not in (KUBEVIRT, OPENSHIFT):
            return  # another file of that name: not a gatherer's version file
        image = self._image(prefix)
        image.gatherer, image.version = lines[0], lines[1][:120] if len(lines) > 1 else ""

    def plain(self, rel: str) -> None:
        """An object file outside any image directory's layout: `kubectl get -o yaml` output, a List."""
        prefix = rel.rsplit("/", 1)[0] if "/" in rel else ""
        if prefix not in self.images:
            self.images[prefix] = Image(prefix, PLAIN)

    def collected(self, prefix: str) -> None:
        """A directory virt-doctor's own `collect` wrote (its seen file records what it listed)."""
        self._image(prefix).gatherer = COLLECT

    def proofs(self) -> Iterable[tuple[Scope, str]]:
        for image in self.images.values():
            yield from image.proves()

    def describe(self) -> list[dict[str, Any]]:
        return [image.describe() for _, image in sorted(self.images.items())]


def split_image(rel: str) -> tuple[str, str] | None:
    """(the image directory, the path inside it) of a dump's file, by the first namespaces/ or
    cluster-scoped-resources/ (or a known top-level collector directory) on the way; None outside any."""
    parts = rel.split("/")
    for at, part in enumerate(parts[:-1]):
        if part in _TOP:
            return "/".join(parts[:at]), "/".join(parts[at:])
    return None


def kinds_proven_by(inner: str) -> frozenset[str]:
    """The kinds a file of an image directory helps prove listed cluster-wide: a CRD definition proves its kind
    (gather_crs listed it) and that gather_cdi, which runs before gather_crds, listed every PVC."""
    if not inner.startswith(CRD_DIR):
        return frozenset()
    res = resources.by_crd_name(inner[len(CRD_DIR):].rsplit(".", 1)[0])
    return frozenset({"PersistentVolumeClaim", *((res.kind,) if res is not None else ())})


# the directories a must-gather image starts with (oc adm inspect's two, and the kubevirt and openshift
# gatherers' own): the path before one of them is the image directory
_TOP = frozenset({"namespaces", "cluster-scoped-resources", "nodes", "webhooks", "virtualization", "apiservices",
                  "monitoring"})
