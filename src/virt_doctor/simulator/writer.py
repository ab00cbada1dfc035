"""Write a simulated cluster in the KubeVirt must-gather layout (YAML like a real one, or JSON)."""

from __future__ import annotations

import os
import shutil
import tarfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.metrics import write_metrics
from virt_doctor.sources import resources

Obj = dict[str, Any]
IMAGE_DIR = "quay-io-kubevirt-must-gather-sha256-5b1f0e8c2d"
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):
    """Like `oc get -o yaml`: objects shared in memory are written out in full, never as &anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

# What the kubevirt must-gather never collects (the default OpenShift image does: `inspect leases -A`).
NOT_COLLECTED = frozenset({"Lease"})
# CRDs whose name holds one of these are collected by the kubevirt must-gather's `crs` collector.
CRS_GROUPS = ("kubevirt.io", "snapshot.storage.k8s.io")
OPENSHIFT_IMAGE_DIR = "quay-io-openshift-release-dev-ocp-v4-0-art-dev-sha256-8e1a5c3f0b"
# what the default OpenShift image's `gather` inspects that virt-doctor reads: nodes, storage, and every Lease
OPENSHIFT_KINDS = frozenset({"Node", "StorageClass", "CSIDriver", "PersistentVolume", "VolumeAttachment",
                             "VolumeSnapshotClass", "Lease"})


@dataclass(frozen=True)
class OpenShiftImage:
    """A second image directory as `oc adm must-gather --image=<kubevirt> --image=<default>` writes it: the default
    OpenShift gatherer's `version` (its OS_GIT_VERSION), what it inspects, and gather_monitoring's answer of the
    cluster's Prometheus (`/api/v1/rules`, as a real Prometheus returned it)."""

    version: str = "4.18.3"
    rules_json: bytes | None = None


def write_dump(cluster: Cluster, out: str | os.PathLike[str], fmt: str = "yaml", archive: bool = False,
               progress: Callable[[int], None] | None = None, metrics: bool = False,
               also_collect: frozenset[str] = frozenset(), openshift: OpenShiftImage | None = None) -> Path:
    """Write the must-gather tree under `out` (or `out` as a .tar.gz when `archive`); return what was written.

    The kubevirt image directory is laid out as kubevirt/must-gather's scripts write it (gatherers.py names
    them): one file per custom resource (gather_crs), the kubevirt.io CRD definitions (gather_crds), one file per
    VM (vmConvertor), per PVC (gather_cdi), the inspected namespaces' lists, and gather_virtualization's count.
    `also_collect`: kinds a must-gather leaves out (Leases) written all the same, as a support engineer
    adds them with `oc adm inspect leases -n <namespace>`. `openshift`: also the default OpenShift image's
    directory (two-image must-gather).
    """
    target = Path(out)
    root = target.with_suffix("").with_suffix("") if archive else target
    if root.is_file() or (root.is_dir() and any(root.iterdir())):
        raise FileExistsError(f"{root} exists and is not empty")
    writer = _Writer(root / IMAGE_DIR, fmt, progress)
    (root).mkdir(parents=True, exist_ok=True)
    (root / "timestamp").write_text(
        f"{cluster.at:%Y-%m-%d %H:%M:%S}.118 +0000 UTC m=+0.061\n"
        f"{cluster.at:%Y-%m-%d %H:%M:%S}.902 +0000 UTC m=+95.332\n")
    writer.write_text("version", "kubevirt/must-gather\nv1.5.2\n")
    _write_crds(writer)
    lists: dict[str, list[Obj]] = defaultdict(list)
    for obj in cluster.objects():
        if obj["kind"] in also_collect:  # listed on purpose: one list file in the install namespace, empty or not
            lists[_extra_list(cluster, obj["kind"])].append(obj)
        elif obj["kind"] not in NOT_COLLECTED:
            _place(writer, lists, cluster, obj)
    for kind in also_collect:
        lists.setdefault(_extra_list(cluster, kind), [])
    for path, items in sorted(lists.items()):
        writer.write_list(path, items)
    for (namespace, pod, container), logs in sorted(cluster.logs.items()):
        if not cluster.vms_details and namespace != cluster.install_ns:
            continue
        for which, lines in sorted(logs.items()):
            writer.write_text(f"namespaces/{namespace}/pods/{pod}/{container}/{container}/logs/{which}.log",
                              "\n".join(lines) + "\n")
    running = sum(1 for o in cluster.objects() if o["kind"] == "VirtualMachineInstance"
                  and (o.get("status") or {}).get("phase") == "Running")
    writer.write_text("virtualization/running_vms_count.txt", f"{running}\n")  # gather_virtualization, last
    if openshift is not None:
        _write_openshift(cluster, _Writer(root / OPENSHIFT_IMAGE_DIR, fmt, progress), openshift)
    if metrics:
        write_metrics(cluster, root / "metrics.om")
    if archive:
        tar_path = target if str(target).endswith((".tar.gz", ".tgz")) else target.with_suffix(".tar.gz")
        with tarfile.open(tar_path, "w:gz") as tar:
            tar.add(root, arcname=root.name)
        shutil.rmtree(root)
        return tar_path
    return root


def _write_crds(writer: _Writer) -> None:
    """gather_crds: `oc adm inspect crd` of every CRD whose name holds kubevirt.io (the cluster runs KubeVirt, so
    all of virt-doctor's kubevirt.io kinds are defined)."""
    for res in resources.RESOURCES:
        if "kubevirt.io" not in res.group:
            continue
        names = {"plural": res.plural, "singular": res.kind.lower(), "kind": res.kind, "listKind": f"{res.kind}List"}
        writer.write_obj(f"cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions/{res.crd_name}", {
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": res.crd_name},
            "spec": {"group": res.group, "names": names, "scope": "Namespaced" if res.namespaced else "Cluster",
                     "versions": [{"name": res.version, "served": True, "storage": True}]}})


def _write_openshift(cluster: Cluster, writer: _Writer, image: OpenShiftImage) -> None:
    """The default OpenShift image's directory: its version, what its `gather` inspects (`oc adm inspect` of nodes,
    storage and `leases --all-namespaces`: one file an object), and gather_monitoring's rules.json."""
    writer.write_text("version", f"openshift/must-gather\n{image.version}\n")
    for obj in cluster.objects():
        if obj["kind"] not in OPENSHIFT_KINDS:
            continue
        res, md = resources.BY_KIND[obj["kind"]], obj["metadata"]
        # `oc adm inspect <type>` flattens what it lists: one file an object, namespaced ones under their namespace
        base = f"namespaces/{md['namespace']}" if res.namespaced else "cluster-scoped-resources"
        writer.write_obj(f"{base}/{res.group_dir}/{res.plural}/{md['name']}", obj)
    if image.rules_json is not None:
        writer.write_bytes("monitoring/prometheus/rules.json", image.rules_json)


def _extra_list(cluster: Cluster, kind: str) -> str:
    """Where `oc get <kind> -n <install namespace> -o yaml` (cluster-wide for a cluster-scoped kind) is saved
    beside the inspect tree."""
    res = resources.BY_KIND[kind]
    if not res.namespaced:
        return f"cluster-scoped-resources/{res.group_dir}/{res.plural}"
    return f"namespaces/{cluster.install_ns}/{res.group_dir}/{res.plural}"


def _place(writer: _Writer, lists: dict[str, list[Obj]], cluster: Cluster, obj: Obj) -> None:
    """Where the kubevirt must-gather puts each kind, including the places that duplicate objects."""
    kind = obj["kind"]
    md = obj["metadata"]
    namespace, name = md.get("namespace", ""), md["name"]
    vm_namespace = bool(namespace) and namespace != cluster.install_ns
    if kind == "VirtualMachine":
        flavour = "template-based" if any(k.startswith("vm.kubevirt.io/template") for k in md.get("labels", {})) \
            else "custom"
        writer.write_obj(f"namespaces/{namespace}/kubevirt.io/virtualmachines/{flavour}/{name}", obj)
        return
    res = resources.BY_KIND[kind]
    if res.group.endswith(CRS_GROUPS):  # the kubevirt must-gather's `crs` collector: one file an object
        base = f"namespaces/{namespace}/crs/{res.crd_name}" if namespace else f"cluster-scoped-resources/{res.crd_name}"
        writer.write_obj(f"{base}/{name}", obj)
        if kind == "KubeVirt":  # also in the inspect list of the install namespace: a duplicate to de-duplicate
            lists[f"namespaces/{namespace}/kubevirt.io/kubevirts"].append(obj)
        return
    group, plural = res.group_dir, res.plural
    if not namespace:
        writer.write_obj(f"cluster-scoped-resources/{group}/{plural}/{name}", obj)
        return
    if kind == "PersistentVolumeClaim":
        writer.write_obj(f"namespaces/{namespace}/core/persistentvolumeclaims/{name}", obj)
        return
    if vm_namespace and not cluster.vms_details:
        return  # without --vms_details VM namespaces are not inspected
    lists[f"namespaces/{namespace}/{group}/{plural}"].append(obj)
    if kind == "Pod" and (not vm_namespace or (namespace, name) in {(k[0], k[1]) for k in cluster.logs}):
        writer.write_obj(f"namespaces/{namespace}/pods/{name}/{name}", obj)


class _Writer:
    def __init__(self, root: Path, fmt: str, progress: Callable[[int], None] | None) -> None:
        self.root, self.fmt, self.progress, self.count = root, fmt, progress, 0
        self.made: set[Path] = set()

    def _path(self, rel: str) -> Path:
        path = self.root / rel
        if path.parent not in self.made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(path.parent)
        self.count += 1
        if self.progress and self.count % 5000 == 0:
            self.progress(self.count)
        return path

    def write_text(self, rel: str, text: str) -> None:
        self._path(rel).write_text(text)

    def write_bytes(self, rel: str, data: bytes) -> None:
        self._path(rel).write_bytes(data)

    def write_obj(self, rel: str, obj: Obj) -> None:
        if self.fmt == "json":
            self._path(rel + ".json").write_bytes(orjson.dumps(obj, option=orjson.OPT_INDENT_2))
        else:
            self._path(rel + ".yaml").write_text(yaml.dump(obj, Dumper=_Dumper, sort_keys=False, width=1000))

    def write_list(self, rel: str, items: list[Obj]) -> None:
        self.write_obj(rel, {"apiVersion": "v1", "kind": "List", "items": items,
                             "metadata": {"resourceVersion": ""}})
