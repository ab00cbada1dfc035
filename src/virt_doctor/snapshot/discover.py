"""Where things are installed, discovered from the objects themselves — never assumed."""

from __future__ import annotations

from typing import Any

from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.snapshot import Snapshot

Obj = dict[str, Any]

UPSTREAM_DEFAULT = "kubevirt"


def kubevirt_cr(snap: Snapshot) -> Obj | None:
    """The KubeVirt CR (there is one per cluster)."""
    crs = snap.kind("KubeVirt")
    return crs[0] if crs else None


def _kubevirt_namespace(snap: Snapshot) -> str:
    cr = kubevirt_cr(snap)
    if cr is not None and a.namespace(cr):
        return a.namespace(cr)
    for ds in snap.kind("DaemonSet"):
        if a.name(ds) == "virt-handler" or a.labels(ds).get("kubevirt.io") == "virt-handler":
            return a.namespace(ds)
    for component in ("virt-controller", "virt-api", "virt-operator", "virt-handler"):
        for pod in snap.index("pods_by_component", component):
            return a.namespace(pod)
    for dep in snap.kind("Deployment"):
        if a.name(dep) in ("virt-operator", "virt-controller", "virt-api"):
            return a.namespace(dep)
    return ""


def kubevirt_namespace(snap: Snapshot) -> str:
    """KubeVirt's install namespace: the KubeVirt CR's, else virt-handler's or a virt-* pod's."""
    return snap.derived("kubevirt_namespace", lambda: _kubevirt_namespace(snap))


def virt_handler_daemonset(snap: Snapshot) -> Obj | None:
    """The virt-handler DaemonSet in the install namespace."""
    namespace = kubevirt_namespace(snap)
    found = snap.get("DaemonSet", namespace, "virt-handler")
    if found is not None:
        return found
    for ds in snap.kind("DaemonSet"):
        if a.labels(ds).get("kubevirt.io") == "virt-handler":
            return ds
    return None


def component_pods(snap: Snapshot, component: str) -> list[Obj]:
    """The pods of a KubeVirt component (label kubevirt.io=<component>)."""
    return snap.index("pods_by_component", component)


# placeholder -> the workloads whose namespace it is (first found wins)
INSTALL_WORKLOADS = {
    "cdi-namespace": ("cdi-operator", "cdi-deployment"),
    "hco-namespace": ("hco-operator", "hyperconverged-cluster-operator"),
    "cnao-namespace": ("cluster-network-addons-operator", "kubemacpool-mac-controller-manager"),
    "ssp-namespace": ("ssp-operator", "virt-template-validator"),
    "hpp-namespace": ("hostpath-provisioner-operator", "hostpath-provisioner-csi"),
}
INSTALL_CRS = {"hco-namespace": "HyperConverged", "ssp-namespace": "SSP"}


def install_namespaces(snap: Snapshot) -> dict[str, str]:
    """Where each operator of the stack runs, by placeholder name (<cdi-namespace>, <hco-namespace>, ...)."""
    return dict(snap.derived("install_namespaces", lambda: _install_namespaces(snap)))


def _install_namespaces(snap: Snapshot) -> dict[str, str]:
    found: dict[str, str] = {}
    kubevirt = kubevirt_namespace(snap)
    if kubevirt:
        found["kubevirt-namespace"] = kubevirt
    for placeholder, names in INSTALL_WORKLOADS.items():
        for name in names:
            workloads = snap.index("deployments_by_name", name) or snap.index("daemonsets_by_name", name)
            if workloads:
                found[placeholder] = a.namespace(workloads[0])
                break
        else:
            crs = [cr for cr in snap.kind(INSTALL_CRS.get(placeholder, "")) if a.namespace(cr)]
            if crs:
                found[placeholder] = a.namespace(crs[0])
    return found
