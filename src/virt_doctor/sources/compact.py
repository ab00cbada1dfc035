"""Objects kept small as they are loaded: secrets' payloads and heavy unread fields dropped, strings shared.

A 50k-VM must-gather holds about 250k objects; kept as parsed they need over
2 GB. Two things bring that down by a third (benchmarks/scan_scale.py):

- `PRUNE`: fields no rule reads, dropped per kind. Every dropped field is
  listed here and only here; a rule that needs one removes it from this table
  (tests/sources/test_compact.py pins it). Of a VMI's spec, what rules read is
  kept: eviction strategy, networks and interfaces (bindings, MAC addresses),
  node selection, resources.
- `StringPool`: equal string values (timestamps, statuses, reasons, node and
  image names, UIDs in owner references) share one object. It must run as each
  file is read, so the duplicates' memory is reused by the next file; interning
  afterwards frees memory that the allocator cannot give back.
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
        obj["spec"] = kept
    status = obj.get("status")
    if isinstance(status, dict):
        status.pop("volumeStatus", None)
        status.pop("kernelBootStatus", None)
        status.pop("currentCPUTopology", None)


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


class StringPool:
    """One shared object per distinct string value, across every object of a dump."""

    def __init__(self) -> None:
        self._pool: dict[str, str] = {}

    def share(self, node: Any) -> None:
        """Replace every string value in a parsed document by the pool's equal string (orjson shares keys)."""
        setdefault, str_, dict_, list_ = self._pool.setdefault, str, dict, list
        if type(node) is dict_:
            for key, value in node.items():
                kind = type(value)
                if kind is str_:
                    node[key] = setdefault(value, value)
                elif kind is dict_ or kind is list_:
                    self.share(value)
        elif type(node) is list_:
            for index, value in enumerate(node):
                kind = type(value)
                if kind is str_:
                    node[index] = setdefault(value, value)
                elif kind is dict_ or kind is list_:
                    self.share(value)

    def __len__(self) -> int:
        return len(self._pool)
