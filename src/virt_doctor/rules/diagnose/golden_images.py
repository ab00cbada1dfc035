"""HCO's golden images on a cluster of several CPU architectures: which architectures the workload nodes have,
whether multi-arch boot images are on, and what each DataImportCronTemplate in HCO's status says (HCO's
controllers/handlers/golden-images and pkg/internal/nodeinfo)."""

from __future__ import annotations

from typing import Any

from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.snapshot import Snapshot

Obj = dict[str, Any]
ARCH_ANNOTATION = "ssp.kubevirt.io/dict.architectures"
FEATURE = "enableMultiArchBootImageImport"


def multi_arch_enabled(hco: Obj) -> bool:
    """spec.workloadSources.enableMultiArchBootImageImport (v1), else the feature gate of that name (v1beta1)."""
    spec = a.spec(hco)
    explicit = (spec.get("workloadSources") or {}).get(FEATURE)
    if explicit is not None:
        return bool(explicit)
    return bool((spec.get("featureGates") or {}).get(FEATURE))


def workload_nodes(snap: Snapshot, hco: Obj) -> list[Obj]:
    """The nodes VMs may run on: those HCO's workloads placement selects, else the worker nodes."""
    placement = ((a.spec(hco).get("workloads") or {}).get("nodePlacement") or {})
    nodes = snap.kind("Node")
    if placement.get("nodeSelector") or (placement.get("affinity") or {}).get("nodeAffinity"):
        return [n for n in nodes if a.selector_matches(placement.get("nodeSelector"), a.labels(n))
                and a.required_affinity_matches(placement.get("affinity"), a.labels(n))]
    return [n for n in nodes if "node-role.kubernetes.io/worker" in a.labels(n)]


def node_arch(node: Obj) -> str:
    return str((a.status(node).get("nodeInfo") or {}).get("architecture") or a.labels(node).get("kubernetes.io/arch")
               or "")


def workload_architectures(snap: Snapshot, hco: Obj) -> dict[str, list[str]]:
    """Architecture -> the workload nodes of it."""
    out: dict[str, list[str]] = {}
    for node in workload_nodes(snap, hco):
        if arch := node_arch(node):
            out.setdefault(arch, []).append(a.name(node))
    return out


def cron_templates(hco: Obj) -> list[Obj]:
    """status.dataImportCronTemplates: the common and custom golden images HCO manages."""
    return [t for t in a.status(hco).get("dataImportCronTemplates") or [] if isinstance(t, dict)]


def template_name(template: Obj) -> str:
    return str((template.get("metadata") or {}).get("name") or "")


def template_data_source(template: Obj) -> str:
    return str((template.get("spec") or {}).get("managedDataSource") or "")
