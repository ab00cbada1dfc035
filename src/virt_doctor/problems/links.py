"""Why one finding happens, as a path along KubeVirt's topology: from its subject to the object whose fault explains
it (its root), read from the finding's evidence and the snapshot — never from timing.

A link is made only to an object the source holds, or one its kind was listed for and is not there (a deleted
StorageClass, a missing Secret): an object the source never looked at explains nothing, and the finding keeps
its own subject as root, saying what could not be checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from virt_doctor.report.model import Finding, Subject
from virt_doctor.snapshot import Snapshot
from virt_doctor.snapshot.access import controller_owner, spec, status
from virt_doctor.snapshot.discover import install_namespaces
from virt_doctor.snapshot.snapshot import Missing


class Link(NamedTuple):
    """A finding's own root: the object its evidence blames, the objects passed on the way, what was not checked."""

    root: Subject
    via: tuple[Subject, ...] = ()  # between the subject and the root, nearest first
    unchecked: str = ""  # a link that could not be made, and why


Resolver = Callable[[Snapshot, Finding], Link | None]

WORKLOAD_KINDS = ("Deployment", "DaemonSet", "StatefulSet")
OPERAND_KINDS = ("KubeVirt", "CDI", "SSP", "NetworkAddonsConfig", "HostPathProvisioner")
# the components each operand CR deploys (by workload name prefix): a degraded operand is explained by them
OPERAND_WORKLOADS = {
    "KubeVirt": ("virt-api", "virt-controller", "virt-handler", "virt-operator"),
    "CDI": ("cdi-apiserver", "cdi-deployment", "cdi-uploadproxy", "cdi-operator"),
    "SSP": ("virt-template-validator", "ssp-operator"),
    "NetworkAddonsConfig": ("kubemacpool", "bridge-marker", "kube-cni-linux-bridge-plugin", "multus",
                            "cluster-network-addons-operator"),
    "HostPathProvisioner": ("hostpath-provisioner", "hostpath-provisioner-operator"),
}
# objects whose trouble can be someone else's: another finding may say what in turn explains them
DEPENDENT_KINDS = frozenset({"VirtualMachine", "VirtualMachineInstance", "DataVolume", "PersistentVolumeClaim",
                             "Pod", "DataImportCron", "Lease", "HyperConverged", *OPERAND_KINDS})
# the component an alert's cause names when its evidence holds no pod of it: (kind, name, namespace placeholder)
ALERT_WORKLOAD = {
    "OrphanedVirtualMachineInstances": ("DaemonSet", "virt-handler", "kubevirt-namespace"),
    "VirtualMachineStuckOnNode": ("DaemonSet", "virt-handler", "kubevirt-namespace"),
    "VirtualMachineStuckInUnhealthyState": ("Deployment", "virt-controller", "kubevirt-namespace"),
}
URL_SOURCES = ("http", "registry", "s3", "gcs", "imageio", "vddk")


def parse_ref(ref: str) -> Subject | None:
    """An evidence object 'Kind/namespace/name' or 'Kind/name' as a Subject (None for notes like '(diagnosis)')."""
    parts = ref.split("/")
    if len(parts) == 3 and parts[0] and parts[2] and " " not in parts[0]:
        return Subject(parts[0], parts[1], parts[2])
    if len(parts) == 2 and parts[0] and parts[1] and " " not in parts[0] and not parts[0].startswith("("):
        return Subject(parts[0], "", parts[1])
    return None


def evidence_objects(finding: Finding, *kinds: str) -> Iterator[Subject]:
    """The objects of these kinds the finding's evidence names, first named first, each once."""
    seen: set[Subject] = set()
    for item in finding.evidence:
        found = parse_ref(item.object)
        if found is not None and found.kind in kinds and found not in seen:
            seen.add(found)
            yield found


def known(snap: Snapshot, subject: Subject) -> str:
    """'' when a link may rest on the object (the source holds it, or listed its kind and it is not there),
    else why not."""
    found = snap.lookup(subject.kind, subject.namespace, subject.name)
    return found.reason if isinstance(found, Missing) and not found.seen else ""


def linked(snap: Snapshot, root: Subject, via: tuple[Subject, ...] = ()) -> Link:
    """A link to `root`, or — when the source never looked where it is — none, saying so."""
    for hop in (*via, root):
        why = known(snap, hop)
        if why:
            return Link(Subject("", "", ""), (), f"{hop.ref()}: {why}")
    return Link(root, via)


def _node(snap: Snapshot, finding: Finding) -> Link | None:
    """The node the finding's evidence (or its node label) names."""
    if finding.subject.kind == "Node":
        return Link(finding.subject)
    name = finding.labels.get("node") or next((n.name for n in evidence_objects(finding, "Node")), "")
    if not name:
        vmi = _vmi_of(snap, finding)
        name = str(status(vmi).get("nodeName") or "") if vmi is not None else ""
    return linked(snap, Subject("Node", "", name)) if name else None


def _vmi_of(snap: Snapshot, finding: Finding) -> dict | None:
    subject = finding.subject
    if subject.kind in ("VirtualMachine", "VirtualMachineInstance"):
        return snap.get("VirtualMachineInstance", subject.namespace, subject.name)
    return None


def owner_path(snap: Snapshot, obj: dict, kinds: tuple[str, ...], hops: int = 4) -> list[Subject]:
    """From an object up its controller owners until one of `kinds` (owners the source holds), nearest first."""
    path: list[Subject] = []
    current = obj
    for _ in range(hops):
        owner = controller_owner(current)
        if owner is None:
            return []
        namespace = str((current.get("metadata") or {}).get("namespace") or "")
        parent = snap.by_uid_of(str(owner.get("uid") or "")) or snap.get(str(owner.get("kind")), namespace,
                                                                           str(owner.get("name")))
        ref = Subject(str(owner.get("kind")), namespace if parent is None or _namespaced(parent) else "",
                      str(owner.get("name")))
        path.append(ref)
        if ref.kind in kinds:
            return path
        if parent is None:
            return []
        current = parent
    return []


def _namespaced(obj: dict) -> bool:
    return bool((obj.get("metadata") or {}).get("namespace"))


def _workload(snap: Snapshot, finding: Finding) -> Link | None:
    """The component's Deployment or DaemonSet: the subject, the owner of a pod in the evidence, or the one
    the alert's cause names (a DaemonSet by way of its pod on the finding's node)."""
    subject = finding.subject
    if subject.kind in WORKLOAD_KINDS:
        return Link(subject)
    named = next(evidence_objects(finding, *WORKLOAD_KINDS), None)
    if named is None:
        for pod_ref in evidence_objects(finding, "Pod"):
            pod = snap.get("Pod", pod_ref.namespace, pod_ref.name)
            path = owner_path(snap, pod, WORKLOAD_KINDS) if pod is not None else []
            if path:
                return Link(path[-1], (pod_ref, *path[:-1]))
    if named is None and finding.alert in ALERT_WORKLOAD:
        kind, name, placeholder = ALERT_WORKLOAD[finding.alert]
        namespace = install_namespaces(snap).get(placeholder, "")
        if not namespace:
            return Link(Subject("", "", ""), (), f"{kind} {name}: the source does not show where KubeVirt is "
                                                  "installed")
        named = Subject(kind, namespace, name)
    if named is None:
        return None
    return linked(snap, named, _daemon_pod(snap, finding, named) if named.kind == "DaemonSet" else ())


def _daemon_pod(snap: Snapshot, finding: Finding, daemonset: Subject) -> tuple[Subject, ...]:
    """The DaemonSet's pod on the finding's node, when the source holds one."""
    node = finding.labels.get("node") or (finding.subject.name if finding.subject.kind == "Node" else "")
    for pod in snap.index("pods_by_node", node) if node else ():
        meta = pod.get("metadata") or {}
        owner = controller_owner(pod) or {}
        if meta.get("namespace") == daemonset.namespace and owner.get("kind") == "DaemonSet" \
                and owner.get("name") == daemonset.name:
            return (Subject("Pod", daemonset.namespace, str(meta.get("name"))),)
    return ()


def named_in(snap: Snapshot, finding: Finding, *kinds: str) -> Link | None:
    """The finding's subject when it is of these kinds, else the first object of them its evidence names."""
    if finding.subject.kind in kinds:
        return Link(finding.subject)
    named = next(evidence_objects(finding, *kinds), None)
    return linked(snap, named) if named is not None else None


def _storage_class(snap: Snapshot, finding: Finding) -> Link | None:
    """The StorageClass the evidence names (a StorageProfile stands for the class of the same name)."""
    found = named_in(snap, finding, "StorageClass")
    if found is not None:
        return found
    profile = next(evidence_objects(finding, "StorageProfile"), None)
    if profile is None and finding.subject.kind == "StorageProfile":
        profile = finding.subject
    if profile is not None:
        return linked(snap, Subject("StorageClass", "", profile.name), (profile,) if profile != finding.subject else ())
    cron = snap.get("DataImportCron", finding.subject.namespace, finding.subject.name) \
        if finding.subject.kind == "DataImportCron" else None
    name = str(((spec(cron).get("template") or {}).get("spec") or {}).get("storage", {}).get("storageClassName")
               or "") if cron is not None else ""
    return linked(snap, Subject("StorageClass", "", name)) if name else None


def _datavolume(snap: Snapshot, finding: Finding) -> Link | None:
    """The DataVolume behind the finding: its subject, one its evidence names, or the owner of its importer pod."""
    found = named_in(snap, finding, "DataVolume")
    if found is not None:
        return found
    for pod_ref in evidence_objects(finding, "Pod"):
        pod = snap.get("Pod", pod_ref.namespace, pod_ref.name)
        path = owner_path(snap, pod, ("DataVolume",)) if pod is not None else []
        if path:
            return Link(path[-1], (pod_ref, *path[:-1]))
    return None


def source_url(obj: dict) -> str:
    """The URL a DataVolume (or a DataImportCron's template) imports from, if it names one."""
    source = spec(obj).get("source") or ((spec(obj).get("template") or {}).get("spec") or {}).get("source") or {}
    for kind in URL_SOURCES:
        url = (source.get(kind) or {}).get("url") if isinstance(source.get(kind), dict) else None
        if url:
            return str(url)
    return ""


def _import_source(snap: Snapshot, finding: Finding) -> Link | None:
    """The import source a DataVolume or DataImportCron reads from: every import from it fails alike."""
    if finding.subject.kind == "DataImportCron" and next(evidence_objects(finding, "DataVolume"), None) is None:
        cron = snap.get("DataImportCron", finding.subject.namespace, finding.subject.name)
        url = source_url(cron) if cron is not None else ""
        return Link(Subject("ImportSource", "", url)) if url else None
    volume = _datavolume(snap, finding)
    if volume is None or not volume.root.kind:
        return volume
    dv = snap.get("DataVolume", volume.root.namespace, volume.root.name)
    url = source_url(dv) if dv is not None else ""
    if not url:
        return volume
    hops = volume.via + ((volume.root,) if volume.root != finding.subject else ())
    return Link(Subject("ImportSource", "", url), hops)


def _pvc(snap: Snapshot, finding: Finding) -> Link | None:
    """The claim the evidence names — or, when the claim names a StorageClass the source lists and it is not
    there, that class: every claim on it waits alike."""
    named = next(evidence_objects(finding, "PersistentVolumeClaim"), None)
    if named is None:
        return None
    claim = snap.get("PersistentVolumeClaim", named.namespace, named.name)
    class_name = str(spec(claim).get("storageClassName") or "") if claim is not None else ""
    if class_name and snap.absent("StorageClass", "", class_name):
        return Link(Subject("StorageClass", "", class_name), (named,))
    return linked(snap, named)


def _secret(snap: Snapshot, finding: Finding) -> Link | None:
    return named_in(snap, finding, "Secret", "ConfigMap")


PULL_FAILURES = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName")


def _image(snap: Snapshot, finding: Finding) -> Link | None:
    """The container image a VM's launcher pod cannot pull: every VM booting from it is stuck alike."""
    for pod_ref in evidence_objects(finding, "Pod"):
        pod = snap.get("Pod", pod_ref.namespace, pod_ref.name)
        for cs in (status(pod).get("containerStatuses") or []) + (status(pod).get("initContainerStatuses") or []) \
                if pod is not None else []:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in PULL_FAILURES and cs.get("image"):
                return Link(Subject("ContainerImage", "", str(cs["image"])), (pod_ref,))
    return None


def _operand(snap: Snapshot, finding: Finding) -> Link | None:
    """The operand CR (KubeVirt, CDI, SSP, ...) the evidence shows not available."""
    return named_in(snap, finding, *OPERAND_KINDS)


def _mac(snap: Snapshot, finding: Finding) -> Link | None:
    """The MAC address two VMs share: the duplicate and the collision it causes are one problem."""
    mac = finding.labels.get("mac") or next((str(e.value) for e in finding.evidence if e.value and e.path and (
        e.path.endswith(".mac") or e.path.endswith(".macAddress"))), "")
    return Link(Subject("MACAddress", "", mac.lower())) if mac else None


def _kubevirt(snap: Snapshot, finding: Finding) -> Link | None:
    """The KubeVirt CR, which says whether any node can run VMs: every VM that cannot be placed waits on it."""
    found = snap.kind("KubeVirt")
    if len(found) != 1:
        return None
    meta = found[0].get("metadata") or {}
    return Link(Subject("KubeVirt", str(meta.get("namespace") or ""), str(meta.get("name"))))


RESOLVERS: dict[str, Resolver] = {
    "node": _node, "workload": _workload, "storage-class": _storage_class, "datavolume": _datavolume,
    "import-source": _import_source, "pvc": _pvc, "secret": _secret, "image": _image, "operand": _operand,
    "mac": _mac, "kubevirt": _kubevirt,
}

# the cause a runbook names -> where its fault lives (a cause not listed is the subject's own)
CAUSE_ROOT = {
    **dict.fromkeys(("node-not-ready", "kubelet-stopped-reporting", "kubelet-not-ready", "node-pressure",
                     "kvm-unavailable", "node-resource-pressure", "node-problem", "node-taint-not-tolerated",
                     "shared-node", "host-cpu-contention"), "node"),
    **dict.fromkeys(("deployment-missing", "scaled-to-zero", "pod-crash-looping", "oom-killed", "image-pull-failure",
                     "pod-unschedulable", "readiness-probe-failing", "api-server-unreachable", "dns-failure",
                     "lease-held-by-missing-pod", "lease-expired", "daemonset-missing", "placement-matches-no-node",
                     "insufficient-node-resources", "too-few-schedulable-nodes", "virt-handler-daemonset-unhealthy",
                     "workloads-placement-excludes-node", "virt-handler-missing", "virt-controller-unavailable",
                     "component-not-ready"), "workload"),
    **dict.fromkeys(("storage-class-missing", "rbd-without-rxbounce", "no-readwritemany", "no-smart-clone",
                     "several-defaults", "unknown-provisioner"), "storage-class"),
    **dict.fromkeys(("source-unreachable", "import-failing", "registry-unreachable"), "import-source"),
    **dict.fromkeys(("datavolume-import-failure", "no-default-storage-class", "no-default"), "datavolume"),
    **dict.fromkeys(("duplicate-mac", "mac-set-by-hand", "cloned-vm"), "mac"),
    **dict.fromkeys(("no-schedulable-nodes", "no-kvm"), "kubevirt"),
    **dict.fromkeys(("pvc-not-bound", "volume-mount-failure"), "pvc"),
    "missing-secret-or-configmap": "secret",
    **dict.fromkeys(("operand-not-available", "cr-degraded"), "operand"),
}
# where one alert's cause lives elsewhere than the cause's usual place
ALERT_CAUSE_ROOT = {
    ("CDIDataVolumeUnusualRestartCount", "oom-killed"): "datavolume",
    ("CDIDataVolumeUnusualRestartCount", "storage-full"): "datavolume",
    ("VirtualMachineStuckInUnhealthyState", "image-pull-failure"): "image",
    ("VirtualMachineStuckOnNode", "image-pull-failure"): "image",
}


def own_link(snap: Snapshot, finding: Finding) -> Link:
    """The root a finding's own evidence blames (its subject when the cause is the subject's own, or the link
    cannot be made)."""
    how = ALERT_CAUSE_ROOT.get((finding.alert, finding.cause.id)) or CAUSE_ROOT.get(finding.cause.id)
    found = RESOLVERS[how](snap, finding) if how else None
    if found is None:
        return Link(finding.subject)
    if not found.root.kind:
        return Link(finding.subject, (), found.unchecked)
    if found.root == finding.subject:
        return Link(finding.subject)
    return Link(found.root, tuple(v for v in found.via if v != finding.subject and v != found.root))
