"""Workload status as the Deployment and DaemonSet controllers would write it, derived from the pods written.

Faults change pods; this runs after them, so a workload's counts and its Available condition always agree with
its pods, and no fault has to keep them in step by hand.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from virt_doctor.simulator.objects import ts
from virt_doctor.timeutil import parse_time

Obj = dict[str, Any]


def _ready(pod: Obj) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Running" and not pod["metadata"].get("deletionTimestamp") and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])


def _owner_uid(obj: Obj) -> str:
    owners = obj["metadata"].get("ownerReferences") or []
    return str(owners[0]["uid"]) if owners else ""


def _unready_since(pods: list[Obj]) -> str | None:
    """When the first of the pods that are not ready stopped being ready."""
    times = [parse_time(c.get("lastTransitionTime")) for p in pods if not _ready(p)
             for c in (p.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"]
    known = [t for t in times if t]
    return ts(min(known)) if known else None


def settle(objects: list[Obj]) -> None:
    """Rewrite every Deployment's, ReplicaSet's and DaemonSet's status from the pods among `objects`."""
    pods_of: dict[str, list[Obj]] = defaultdict(list)
    sets_of: dict[str, list[Obj]] = defaultdict(list)
    for obj in objects:
        if obj["kind"] == "Pod" and (obj.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
            pods_of[_owner_uid(obj)].append(obj)
        elif obj["kind"] == "ReplicaSet":
            sets_of[_owner_uid(obj)].append(obj)
    for obj in objects:
        if obj["kind"] == "DaemonSet":
            _daemonset(obj, pods_of[obj["metadata"]["uid"]])
        elif obj["kind"] == "Deployment":
            sets = sets_of[obj["metadata"]["uid"]]
            for replica_set in sets:
                _replicaset(replica_set, pods_of[replica_set["metadata"]["uid"]])
            _deployment(obj, [p for rs in sets for p in pods_of[rs["metadata"]["uid"]]])


def _daemonset(ds: Obj, pods: list[Obj]) -> None:
    """One pod per node the DaemonSet wants: desired is the pods it has, scheduled or not."""
    ready = sum(map(_ready, pods))
    status = ds["status"]
    status.update(desiredNumberScheduled=len(pods), updatedNumberScheduled=len(pods), numberReady=ready,
                  numberAvailable=ready, currentNumberScheduled=sum(1 for p in pods if p["spec"].get("nodeName")))
    if ready < len(pods):
        status["numberUnavailable"] = len(pods) - ready
    else:
        status.pop("numberUnavailable", None)


def _replicaset(replica_set: Obj, pods: list[Obj]) -> None:
    ready = sum(map(_ready, pods))
    replica_set["status"].update(replicas=len(pods), readyReplicas=ready, availableReplicas=ready,
                                 fullyLabeledReplicas=len(pods))


def _deployment(deployment: Obj, pods: list[Obj]) -> None:
    wanted = int(deployment["spec"].get("replicas", 1))
    ready = sum(map(_ready, pods))
    status = deployment["status"]
    status.update(replicas=len(pods), readyReplicas=ready, availableReplicas=ready, updatedReplicas=len(pods))
    if ready >= wanted:
        status.pop("unavailableReplicas", None)
        return
    status["unavailableReplicas"] = wanted - ready
    available = next((c for c in status.get("conditions") or [] if c.get("type") == "Available"), None)
    if available is not None:
        available.update(status="False" if ready == 0 else "True", reason="MinimumReplicasUnavailable",
                         message="Deployment does not have minimum availability.",
                         lastTransitionTime=_unready_since(pods) or available.get("lastTransitionTime"))
