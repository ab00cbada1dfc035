"""The indexes a snapshot builds, declared once: (name, kind, key function), built in one pass.

A key function returns the key an object is filed under, or None to leave it out.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Literal, get_args

from virt_doctor.snapshot import access as a

Obj = dict[str, Any]
KeyFn = Callable[[Obj], Hashable | None]


def _pod_node(pod: Obj) -> str | None:
    return a.pod_node(pod) or None


def _owner_uid(obj: Obj) -> str | None:
    """The controller's uid (else the first owner's), as a.controller_owner finds it, without copying it."""
    owners = (obj.get("metadata") or {}).get("ownerReferences") or []
    owner = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
    return str(owner.get("uid")) if owner and owner.get("uid") else None


def _component(pod: Obj) -> str | None:
    """The kubevirt.io label (virt-handler, virt-launcher, virt-api, ...) or the app label."""
    labels = a.labels(pod)
    return labels.get("kubevirt.io") or labels.get("app.kubernetes.io/component") or labels.get("app") or None


def _handler_node(pod: Obj) -> str | None:
    return a.pod_node(pod) or None if a.labels(pod).get("kubevirt.io") == "virt-handler" else None


def _vmi_node(vmi: Obj) -> str | None:
    return a.vmi_node(vmi) or None


def _created_by(pod: Obj) -> str | None:
    return a.labels(pod).get("kubevirt.io/created-by") or None


def _event_subject(event: Obj) -> tuple[str, str, str] | None:
    involved = event.get("involvedObject") or event.get("regarding") or {}
    if not involved.get("name"):
        return None
    return str(involved.get("kind") or ""), str(involved.get("namespace") or ""), str(involved["name"])


def _migration_vmi(vmim: Obj) -> tuple[str, str] | None:
    vmi = a.spec(vmim).get("vmiName")
    return (a.namespace(vmim), str(vmi)) if vmi else None


def _namespace(obj: Obj) -> str | None:
    return a.namespace(obj) or None


def _name(obj: Obj) -> str | None:
    return a.name(obj) or None


# the index names, as a type: a name that is not declared here is a type error where a rule asks for it
IndexName = Literal["pods_by_namespace", "deployments_by_name", "daemonsets_by_name", "pods_by_node", "pods_by_owner",
                    "pods_by_component", "pods_by_created_by", "handler_pods_by_node", "vmis_by_node",
                    "events_by_object", "migrations_by_vmi", "replicasets_by_owner"]

INDEXES: tuple[tuple[IndexName, str, KeyFn], ...] = (
    ("pods_by_namespace", "Pod", _namespace),
    ("deployments_by_name", "Deployment", _name),
    ("daemonsets_by_name", "DaemonSet", _name),
    ("pods_by_node", "Pod", _pod_node),
    ("pods_by_owner", "Pod", _owner_uid),
    ("pods_by_component", "Pod", _component),
    ("pods_by_created_by", "Pod", _created_by),
    ("handler_pods_by_node", "Pod", _handler_node),
    ("vmis_by_node", "VirtualMachineInstance", _vmi_node),
    ("events_by_object", "Event", _event_subject),
    ("migrations_by_vmi", "VirtualMachineInstanceMigration", _migration_vmi),
    ("replicasets_by_owner", "ReplicaSet", _owner_uid),
)

assert {name for name, _, _ in INDEXES} == set(get_args(IndexName)), "IndexName and INDEXES name the same indexes"
