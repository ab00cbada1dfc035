"""The one table of the kinds virt-doctor reads: API group, version, plural, kind, and whether namespaced.

The dump loader names a list file's kind from it (`namespaces/ns/core/pods.yaml` holds Pods, and so does
an empty one), the live source lists exactly these, and `collect` writes them where must-gather would.
"""

from __future__ import annotations

from typing import NamedTuple


class Resource(NamedTuple):
    """One API resource as the API server serves it."""

    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def crd_name(self) -> str:
        """`<plural>.<group>`: the directory the kubevirt must-gather's `crs` collector writes."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def group_dir(self) -> str:
        """The group directory of `oc adm inspect` (`core` for the core group)."""
        return self.group or "core"


def _r(group: str, version: str, plural: str, kind: str, namespaced: bool = True) -> Resource:
    return Resource(group, version, plural, kind, namespaced)


RESOURCES: tuple[Resource, ...] = (
    _r("", "v1", "pods", "Pod"),
    _r("", "v1", "events", "Event"),
    _r("", "v1", "configmaps", "ConfigMap"),
    _r("", "v1", "secrets", "Secret"),
    _r("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim"),
    _r("", "v1", "nodes", "Node", namespaced=False),
    _r("", "v1", "persistentvolumes", "PersistentVolume", namespaced=False),
    _r("apps", "v1", "deployments", "Deployment"),
    _r("apps", "v1", "daemonsets", "DaemonSet"),
    _r("apps", "v1", "replicasets", "ReplicaSet"),
    _r("coordination.k8s.io", "v1", "leases", "Lease"),
    _r("storage.k8s.io", "v1", "storageclasses", "StorageClass", namespaced=False),
    _r("storage.k8s.io", "v1", "csidrivers", "CSIDriver", namespaced=False),
    _r("storage.k8s.io", "v1", "volumeattachments", "VolumeAttachment", namespaced=False),
    _r("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", namespaced=False),
    _r("config.openshift.io", "v1", "networks", "Network", namespaced=False),
    _r("monitoring.coreos.com", "v1", "prometheusrules", "PrometheusRule"),
    _r("operator.openshift.io", "v1", "kubedeschedulers", "KubeDescheduler"),
    _r("nmstate.io", "v1", "nmstates", "NMState", namespaced=False),
    _r("kubevirt.io", "v1", "kubevirts", "KubeVirt"),
    _r("kubevirt.io", "v1", "virtualmachines", "VirtualMachine"),
    _r("kubevirt.io", "v1", "virtualmachineinstances", "VirtualMachineInstance"),
    _r("kubevirt.io", "v1", "virtualmachineinstancemigrations", "VirtualMachineInstanceMigration"),
    _r("cdi.kubevirt.io", "v1beta1", "cdis", "CDI", namespaced=False),
    _r("cdi.kubevirt.io", "v1beta1", "datavolumes", "DataVolume"),
    _r("cdi.kubevirt.io", "v1beta1", "dataimportcrons", "DataImportCron"),
    _r("cdi.kubevirt.io", "v1beta1", "storageprofiles", "StorageProfile", namespaced=False),
    _r("hco.kubevirt.io", "v1beta1", "hyperconvergeds", "HyperConverged"),
    _r("ssp.kubevirt.io", "v1beta2", "ssps", "SSP"),
    _r("networkaddonsoperator.network.kubevirt.io", "v1", "networkaddonsconfigs", "NetworkAddonsConfig",
       namespaced=False),
    _r("hostpathprovisioner.kubevirt.io", "v1beta1", "hostpathprovisioners", "HostPathProvisioner",
       namespaced=False),
)

BY_KIND: dict[str, Resource] = {r.kind: r for r in RESOURCES}
BY_PLURAL: dict[tuple[str, str], Resource] = {(r.group_dir, r.plural): r for r in RESOURCES}
BY_CRD_NAME: dict[str, Resource] = {r.crd_name: r for r in RESOURCES if r.group}
_BY_BARE_PLURAL: dict[str, Resource] = {}
for _res in RESOURCES:
    _BY_BARE_PLURAL.setdefault(_res.plural, _res)


def by_group_plural(group_dir: str, plural: str) -> Resource | None:
    """The resource `oc adm inspect` writes under `<group>/<plural>` (group `core` for the core group)."""
    return BY_PLURAL.get((group_dir, plural))


def by_crd_name(name: str) -> Resource | None:
    """The resource a CRD name (`<plural>.<group>`) stands for."""
    return BY_CRD_NAME.get(name)


def is_namespaced(kind: str) -> bool | None:
    """Whether a kind is namespaced (None for a kind virt-doctor does not read)."""
    res = BY_KIND.get(kind)
    return res.namespaced if res else None
