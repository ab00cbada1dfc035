"""Objects kept small as they are loaded: secrets' payloads and heavy unread fields dropped, strings shared.

A 50k-VM must-gather holds about 250k objects; kept as parsed they need over
2 GB. Two things bring that down by a quarter (benchmarks/scan_scale.py):

- `PRUNE`: fields no rule reads, dropped per kind. Every dropped field is
  listed here and only here; a rule that needs one removes it from this table
  (tests/sources/test_compact.py pins it). Of a VMI's spec, what rules read is
  kept: eviction strategy, networks and interfaces (bindings, MAC addresses),
  node selection, resources, and the claim-backed volumes (hot-plugged or not) with their status' target,
  hotplug and claim capacity (cloud-init payloads are dropped).
- `StringPool`: equal strings in the parts every object has (metadata, owner
  references, conditions) share one object. It runs as each file is read, so
  the duplicates' memory is reused by the next file; interning afterwards
  would free memory that the allocator cannot give back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

VMI_SPEC_KEPT = ("evictionStrategy", "networks", "nodeSelector", "affinity", "tolerations", "hostname",
                 "terminationGracePeriodSeconds")
VMI_DOMAIN_KEPT = ("resources", "memory", "cpu")


def _secret(obj: Obj) -> None:
    obj.pop("data", None)
    obj.pop("stringData", None)


def _vmi(obj: Obj) -> None:
    """A VMI's spec repeats its VM's template; keep the parts rules read."""
    spec = obj.get("spec")
    if isinstance(spec, dict):
        domain = spec.get("domain") or {}
        kept = {k: spec[k] for k in VMI_SPEC_KEPT if k in spec}
        kept_domain = {k: domain[k] for k in VMI_DOMAIN_KEPT if k in domain}
        interfaces = (domain.get("devices") or {}).get("interfaces")
        if interfaces is not None:
            kept_domain["devices"] = {"interfaces": interfaces}
        kept["domain"] = kept_domain
        claims = [v for v in spec.get("volumes") or () if isinstance(v, dict)
                  and ("persistentVolumeClaim" in v or "dataVolume" in v)]
        if claims:
            kept["volumes"] = claims
        obj["spec"] = kept
    status = obj.get("status")
    if isinstance(status, dict):
        volumes = [_volume_status(v) for v in status.pop("volumeStatus", None) or () if isinstance(v, dict)]
        if volumes:
            status["volumeStatus"] = volumes
        status.pop("kernelBootStatus", None)
        status.pop("currentCPUTopology", None)


def _volume_status(volume: Obj) -> Obj:
    """What rules read of a VMI volume's status: its guest device, whether it was hot-plugged, the claim's size."""
    kept: Obj = {k: volume[k] for k in ("name", "target", "hotplugVolume") if k in volume}
    claim = volume.get("persistentVolumeClaimInfo")
    if isinstance(claim, dict):
        kept["persistentVolumeClaimInfo"] = {k: claim[k] for k in ("claimName", "capacity") if k in claim}
    return kept


def _vm(obj: Obj) -> None:
    status = obj.get("status")
    if isinstance(status, dict):
        status.pop("volumeSnapshotStatuses", None)


def _pod(obj: Obj) -> None:
    """Container commands, environments and mounts can be large; rules read images, resources, states."""
    for key in ("containers", "initContainers"):
        for container in (obj.get("spec") or {}).get(key) or ():
            if isinstance(container, dict):
                for heavy in ("command", "args", "env", "envFrom", "volumeMounts", "volumeDevices"):
                    container.pop(heavy, None)


PRUNE: dict[str, Callable[[Obj], None]] = {
    "Secret": _secret,
    "VirtualMachineInstance": _vmi,
    "VirtualMachine": _vm,
    "Pod": _pod,
}


CONDITION_STRINGS = ("type", "status", "reason", "message", "lastTransitionTime", "lastProbeTime",
                     "lastHeartbeatTime")
REFERENCE_STRINGS = ("apiVersion", "kind", "name", "uid")


class StringPool:
    """One shared object per distinct string, for the parts every object has.

    Shared: kind, apiVersion, the metadata (names, namespaces, timestamps,
    label values, owner references, finalizers), status phase, printableStatus,
    nodeName and the status conditions. Those hold most of a dump's repeated strings; walking every
    spec as well would save half as much again but cost more than parsing
    (benchmarks/scan_scale.py).
    """

    def __init__(self) -> None:
        self._pool: dict[str, str] = {}

    def share(self, obj: Obj) -> None:
        """Replace repeated strings in one object by the pool's equal string; values are unchanged."""
        pooled = self._pool.setdefault
        for key in ("kind", "apiVersion"):
            value = obj.get(key)
            if type(value) is str:
                obj[key] = pooled(value, value)
        metadata = obj.get("metadata")
        if type(metadata) is dict:
            for key in ("namespace", "name", "creationTimestamp", "generateName"):
                value = metadata.get(key)
                if type(value) is str:
                    metadata[key] = pooled(value, value)
            labels = metadata.get("labels")
            if type(labels) is dict:
                for key, value in labels.items():
                    if type(value) is str:
                        labels[key] = pooled(value, value)
            _share_in_dicts(metadata.get("ownerReferences"), REFERENCE_STRINGS, pooled)
            finalizers = metadata.get("finalizers")
            if type(finalizers) is list:
                metadata["finalizers"] = [pooled(f, f) if type(f) is str else f for f in finalizers]
        status = obj.get("status")
        if type(status) is dict:
            for key in ("phase", "printableStatus", "nodeName"):
                value = status.get(key)
                if type(value) is str:
                    status[key] = pooled(value, value)
            _share_in_dicts(status.get("conditions"), CONDITION_STRINGS, pooled)

    def __len__(self) -> int:
        return len(self._pool)


def _share_in_dicts(items: Any, keys: tuple[str, ...], pooled: Callable[[str, str], str]) -> None:
    if type(items) is not list:
        return
    for item in items:
        if type(item) is dict:
            for key in keys:
                value = item.get(key)
                if type(value) is str:
                    item[key] = pooled(value, value)
