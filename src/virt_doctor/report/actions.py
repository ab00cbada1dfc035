"""Remediation as data: a mitigation step that can be automated is one API operation, and the kubectl a person
reads is rendered from it with every value quoted.

A catalog step names an action template (`action: {type: cordon, name: <node>}`); a finding fills it from the
rule's parameters and the object it acts on as the source saw it (its resourceVersion, so a stale plan can be
refused). A template whose placeholders the finding cannot fill leaves the step a command for a person.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from virt_doctor.catalog.catalog import PLACEHOLDER, fill

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
_MIGRATION_NAME = re.compile(r"[^a-z0-9-]")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")  # one object's name (DNS-1123 subdomain)


@dataclass(frozen=True)
class Action:
    """One API operation: create, patch or delete one object (JSON contract: `remediation[].action`)."""

    type: str  # cordon | uncordon | remove-taint | annotate | patch | delete | force-delete | restart-rollout | ...
    verb: str  # create | patch | delete
    api_version: str
    kind: str
    namespace: str
    name: str
    patch_type: str = ""  # merge | json | strategic (verb patch)
    body: Any = None  # the patch, or the object to create
    grace_period: int | None = None  # delete: 0 forces
    resource_version: str = ""  # the object's, as planned on: applying refuses any other
    removes: str = ""  # what a remove-taint removes (key[=value]:Effect): its kubectl removes exactly that

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "verb": self.verb, "apiVersion": self.api_version, "kind": self.kind,
                "namespace": self.namespace, "name": self.name, "patchType": self.patch_type or None,
                "body": self.body, "gracePeriodSeconds": self.grace_period,
                "resourceVersion": self.resource_version or None, **({"removes": self.removes} if self.removes
                                                                      else {})}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Action:
        return cls(str(data["type"]), str(data["verb"]), str(data["apiVersion"]), str(data["kind"]),
                   str(data.get("namespace") or ""), str(data["name"]), str(data.get("patchType") or ""),
                   data.get("body"), data.get("gracePeriodSeconds"), str(data.get("resourceVersion") or ""),
                   str(data.get("removes") or ""))

    def ref(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"


# the kinds actions act on: apiVersion, and the name kubectl knows them by
KINDS = {
    "Node": ("v1", "node"), "Pod": ("v1", "pod"), "Deployment": ("apps/v1", "deployment"),
    "StorageClass": ("storage.k8s.io/v1", "storageclass"), "Lease": ("coordination.k8s.io/v1", "lease"),
    "VolumeAttachment": ("storage.k8s.io/v1", "volumeattachment"),
    "VirtualMachine": ("kubevirt.io/v1", "vm"), "VirtualMachineInstance": ("kubevirt.io/v1", "vmi"),
    "VirtualMachineInstanceMigration": ("kubevirt.io/v1", "vmim"), "KubeVirt": ("kubevirt.io/v1", "kubevirt"),
    "HyperConverged": ("hco.kubevirt.io/v1beta1", "hyperconverged"), "DataVolume": ("cdi.kubevirt.io/v1beta1", "dv"),
    "StorageProfile": ("cdi.kubevirt.io/v1beta1", "storageprofile"),
    "KubeDescheduler": ("operator.openshift.io/v1", "kubedescheduler"),
}


Lookup = Callable[[str, str, str], "dict[str, Any] | None"]


def build_action(template: dict[str, Any], params: dict[str, str], lookup: Lookup, at: str = "") -> Action | None:
    """The action a finding's parameters make of a catalog template, or None when a value is not known (then a
    person fills the command). `lookup(kind, namespace, name)` gives the object acted on as the source saw it."""
    filled = _filled(template, params)
    if filled is None:
        return None
    kind = str(filled.get("kind", "Node"))
    if not _NAME.match(str(filled["name"])) or not _NAME.match(str(filled.get("namespace") or "x")):
        return None  # not one object's name (e.g. several nodes): a command for a person
    target = lookup(kind, str(filled.get("namespace") or ""), str(filled["name"]))
    api_version = KINDS[kind][0]
    maker = MAKERS[str(filled["type"])]
    made = maker(filled, target, at)
    if made is None:
        return None
    verb, patch_type, body, grace = made
    version = str(((target or {}).get("metadata") or {}).get("resourceVersion") or "") if verb != "create" else ""
    removes = str(filled["taint"]).rstrip("-") if filled["type"] == "remove-taint" else ""
    return Action(str(filled["type"]), verb, api_version, kind, str(filled.get("namespace") or ""),
                  str(filled["name"]), patch_type, body, grace, version, removes)


def _filled(value: Any, params: dict[str, str]) -> Any:
    """The template with placeholders replaced everywhere; None if one is left."""
    if isinstance(value, str):
        out = fill(value, params)
        return None if PLACEHOLDER.search(out) else out
    if isinstance(value, dict):
        items = {k: _filled(v, params) for k, v in value.items()}
        return None if any(v is None and value[k] is not None for k, v in items.items()) else items
    if isinstance(value, list):
        seq = [_filled(v, params) for v in value]
        return None if any(v is None and o is not None for v, o in zip(seq, value, strict=True)) else seq
    return value


Made = tuple[str, str, Any, int | None] | None  # verb, patch type, body, grace period


def _unschedulable(value: bool) -> Callable[[dict[str, Any], dict[str, Any] | None, str], Made]:
    return lambda t, obj, at: ("patch", "merge", {"spec": {"unschedulable": value}}, None)


def _remove_taint(t: dict[str, Any], obj: dict[str, Any] | None, at: str) -> Made:
    """The node's taints without the one named `key[=value]:Effect` (the whole list is written: taints do not
    merge), or None when the node was not seen or no longer has it."""
    spec = str(t["taint"]).rstrip("-")
    key_value, _, effect = spec.rpartition(":")
    key = key_value.split("=", 1)[0]
    taints = ((obj or {}).get("spec") or {}).get("taints")
    if not isinstance(taints, list):
        return None
    kept = [x for x in taints if not (x.get("key") == key and x.get("effect") == effect)]
    if len(kept) == len(taints):
        return None
    return "patch", "merge", {"spec": {"taints": kept or None}}, None


def _annotate(t: dict[str, Any], obj: dict[str, Any] | None, at: str) -> Made:
    value = t.get("value")
    return "patch", "merge", {"metadata": {"annotations": {str(t["annotation"]): None if value is None
                                                           else str(value)}}}, None


def _patch(t: dict[str, Any], obj: dict[str, Any] | None, at: str) -> Made:
    kind = str(t.get("patch", "merge"))
    body = t["body"]
    return "patch", kind, json.loads(body) if isinstance(body, str) else body, None


def _restart_rollout(t: dict[str, Any], obj: dict[str, Any] | None, at: str) -> Made:
    return "patch", "strategic", {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}}}, None


def _migrate(t: dict[str, Any], obj: dict[str, Any] | None, at: str) -> Made:
    vmi = str(t["vmi"])
    return "create", "", {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceMigration",
                          "metadata": {"generateName": _MIGRATION_NAME.sub("-", vmi.lower())[:40] + "-virt-doctor-",
                                       "namespace": str(t["namespace"])},
                          "spec": {"vmiName": vmi}}, None


def _run_strategy(t: dict[str, Any], obj: dict[str, Any] | None, at: str) -> Made:
    spec = (obj or {}).get("spec") or {}
    body: dict[str, Any] = {"runStrategy": str(t["strategy"])}
    if "running" in spec:  # spec.running and spec.runStrategy exclude each other
        body["running"] = None
    return "patch", "merge", {"spec": body}, None


MAKERS: dict[str, Callable[[dict[str, Any], dict[str, Any] | None, str], Made]] = {
    "cordon": _unschedulable(True),
    "uncordon": _unschedulable(False),
    "remove-taint": _remove_taint,
    "annotate": _annotate,
    "patch": _patch,
    "delete": lambda t, obj, at: ("delete", "", None, None),
    "force-delete": lambda t, obj, at: ("delete", "", None, 0),
    "restart-vm": lambda t, obj, at: ("delete", "", None, None),  # the VMI, under a restarting runStrategy
    "restart-rollout": _restart_rollout,
    "scale": lambda t, obj, at: ("patch", "merge", {"spec": {"replicas": int(t["replicas"])}}, None),
    "migrate": _migrate,
    "run-strategy": _run_strategy,
    "remove-finalizers": lambda t, obj, at: ("patch", "merge", {"metadata": {"finalizers": None}}, None),
}


def kubectl_of(action: Action) -> str:
    """The kubectl command that does what the action does, every value quoted for a POSIX shell."""
    q = shlex.quote
    kind = KINDS[action.kind][1]
    where = f" -n {q(action.namespace)}" if action.namespace else ""
    target = f"{kind} {q(action.name)}{where}"
    body = action.body
    if action.type in ("cordon", "uncordon"):
        return f"kubectl {action.type} {q(action.name)}"
    if action.type == "remove-taint" and action.removes:  # exactly that taint, whatever else is added meanwhile
        return f"kubectl taint nodes {q(action.name)} {q(action.removes + '-')}"
    if action.type == "annotate":
        ((key, value),) = body["metadata"]["annotations"].items()
        return f"kubectl annotate --overwrite {target} {q(f'{key}={value}' if value is not None else f'{key}-')}"
    if action.type == "restart-rollout":
        return f"kubectl rollout restart {target}"
    if action.type == "scale":
        return f"kubectl scale {target} --replicas={int(body['spec']['replicas'])}"
    if action.type == "migrate":
        return f"virtctl migrate {q(body['spec']['vmiName'])} -n {q(action.namespace)}"
    if action.verb == "delete":
        return f"kubectl delete {target}" + (" --grace-period=0 --force" if action.grace_period == 0 else "")
    compact = json.dumps(body, separators=(",", ":"), sort_keys=False)
    return f"kubectl patch {target} --type={action.patch_type} -p {q(compact)}"
