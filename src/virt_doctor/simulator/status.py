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


# the tolerations the DaemonSet controller gives every daemon pod (and so counts a node by), beside the template's
DAEMON_TOLERATIONS = ({"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
                      {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
                      {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
                      {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
                      {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
                      {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"})


def tolerates(tolerations: list[Obj], taint: Obj) -> bool:
    """Whether a pod with these tolerations tolerates the taint (Kubernetes' matching: key, operator, effect)."""
    for toleration in tolerations:
        if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
            continue
        if toleration.get("operator") == "Exists" and (not toleration.get("key") or toleration["key"] == taint["key"]):
            return True
        if toleration.get("key") == taint["key"] and toleration.get("value", "") == taint.get("value", ""):
            return True
    return False


def should_run(ds: Obj, node: Obj | None) -> bool:
    """Whether the DaemonSet controller wants a daemon pod on the node: its selector matches and every NoSchedule or
    NoExecute taint is tolerated (a node tainted unreachable:NoSchedule is not counted, though its pod stays)."""
    if node is None:
        return True  # a node the source does not hold: as the pods say
    template = ds["spec"]["template"]["spec"]
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (template.get("nodeSelector") or {}).items()):
        return False
    tolerations = [*(template.get("tolerations") or ()), *DAEMON_TOLERATIONS]
    return all(tolerates(tolerations, t) for t in node["spec"].get("taints") or ()
               if t.get("effect") in ("NoSchedule", "NoExecute"))


def settle(objects: list[Obj]) -> None:
    """Rewrite every Deployment's, ReplicaSet's and DaemonSet's status from the pods among `objects`."""
    pods_of: dict[str, list[Obj]] = defaultdict(list)
    sets_of: dict[str, list[Obj]] = defaultdict(list)
    nodes = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Node"}
    for obj in objects:
        if obj["kind"] == "Pod" and (obj.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
            pods_of[_owner_uid(obj)].append(obj)
        elif obj["kind"] == "ReplicaSet":
            sets_of[_owner_uid(obj)].append(obj)
    for obj in objects:
        if obj["kind"] == "DaemonSet":
            _daemonset(obj, pods_of[obj["metadata"]["uid"]], nodes)
        elif obj["kind"] == "Deployment":
            sets = sets_of[obj["metadata"]["uid"]]
            for replica_set in sets:
                _replicaset(replica_set, pods_of[replica_set["metadata"]["uid"]])
            _deployment(obj, [p for rs in sets for p in pods_of[rs["metadata"]["uid"]]])


def _daemonset(ds: Obj, pods: list[Obj], nodes: dict[str, Obj]) -> None:
    """One pod per node the DaemonSet wants: desired is the pods it has on nodes it still wants (scheduled or not);
    a pod left on a node it no longer wants (tainted unreachable) is misscheduled, as the real controller counts."""
    wanted = [p for p in pods if should_run(ds, nodes.get(p["spec"].get("nodeName") or ""))]
    ready = sum(map(_ready, wanted))
    status = ds["status"]
    status.update(desiredNumberScheduled=len(wanted), updatedNumberScheduled=len(wanted), numberReady=ready,
                  numberAvailable=ready, currentNumberScheduled=sum(1 for p in wanted if p["spec"].get("nodeName")))
    if len(pods) > len(wanted):
        status["numberMisscheduled"] = len(pods) - len(wanted)
    else:
        status.pop("numberMisscheduled", None)
    if ready < len(wanted):
        status["numberUnavailable"] = len(wanted) - ready
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
