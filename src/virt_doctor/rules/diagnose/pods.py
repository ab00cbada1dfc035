"""Why a pod is not serving: the one shared diagnosis for component, handler and launcher pods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from virt_doctor.report.model import Evidence
from virt_doctor.rules.diagnose.evidence import (
    cond_evidence,
    event_evidence,
    event_message,
    events_with_reason,
    field,
    log_evidence,
    unread_log,
)
from virt_doctor.rules.diagnose.nodes import node_not_ready
from virt_doctor.rules.diagnose.reasons import exit_meaning, image_pull_why, missing_config
from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.snapshot import Snapshot

Obj = dict[str, Any]

API_WORDS = ("connection refused", "i/o timeout", "no such host", "dial tcp", "context deadline exceeded",
             "tls handshake timeout", "server misbehaving")


@dataclass(frozen=True)
class PodProblem:
    """What is wrong with one pod.

    kind: terminating | node-not-ready | unschedulable | image-pull | oom-killed | crash-loop |
          mount-failure | readiness-probe | api-unreachable | not-ready
    """

    kind: str
    detail: str
    evidence: tuple[Evidence, ...]
    since: datetime | None = None
    container: str = ""


def pod_problem(snap: Snapshot, pod: Obj) -> PodProblem | None:
    """The most specific reason a pod is not Running and Ready, or None if it is."""
    if a.pod_is_ready(pod):
        return None
    node_name = a.pod_node(pod)
    node = snap.get("Node", "", node_name) if node_name else None
    if node is not None and node_not_ready(node):
        return PodProblem("node-not-ready", f"its node {node_name} is not Ready", tuple(node_not_ready(node)),
                          a.transitioned(a.condition(node, "Ready")))
    if a.deleting_since(pod):
        return PodProblem("terminating", "it is being deleted",
                          (field(pod, "metadata.deletionTimestamp", pod["metadata"]["deletionTimestamp"]),),
                          a.deleting_since(pod))
    scheduled = a.condition(pod, "PodScheduled")
    if not node_name and scheduled is not None and scheduled.get("status") == "False":
        evidence = [cond_evidence(pod, scheduled, "the scheduler found no node for it")]
        evidence += [event_evidence(e) for e in events_with_reason(snap, pod, ("FailedScheduling",))[-1:]]
        return PodProblem("unschedulable", f"it cannot be scheduled: {scheduled.get('message', '')}".strip(),
                          tuple(evidence), a.transitioned(scheduled))
    for cs in a.container_statuses(pod, init=True) + a.container_statuses(pod):
        problem = _container_problem(snap, pod, cs)
        if problem is not None:
            return problem
    mount = events_with_reason(snap, pod, ("FailedMount", "FailedAttachVolume"))
    if mount:
        return PodProblem("mount-failure", f"a volume cannot be mounted: {event_message(mount[-1])}",
                          tuple(event_evidence(e) for e in mount[-2:]))
    probe = [e for e in events_with_reason(snap, pod, ("Unhealthy",)) if "eadiness" in event_message(e)]
    ready = a.condition(pod, "Ready")
    if probe:
        return PodProblem("readiness-probe", "its readiness probe fails",
                          tuple(event_evidence(e) for e in probe[-2:]), a.transitioned(ready))
    evidence = [cond_evidence(pod, ready)] if ready else [field(pod, "status.phase", a.pod_phase(pod))]
    return PodProblem("not-ready", f"it is {a.pod_phase(pod)} but not Ready", tuple(evidence), a.transitioned(ready))


def _container_problem(snap: Snapshot, pod: Obj, cs: Obj) -> PodProblem | None:
    name = str(cs.get("name"))
    path = f"status.containerStatuses[{name}]"
    reason = a.waiting_reason(cs)
    waiting = (cs.get("state") or {}).get("waiting") or {}
    terminated = a.last_termination(cs)
    if reason in a.IMAGE_PULL_REASONS:
        image = cs.get("image") or ""
        evidence = [field(pod, f"{path}.state.waiting", f"{reason}: {waiting.get('message', '')}".strip(),
                          f"image {image}")]
        failed = events_with_reason(snap, pod, ("Failed",))
        evidence += [event_evidence(e) for e in failed[-1:]]
        why = image_pull_why([str(waiting.get("message") or ""), *(event_message(e) for e in failed[-3:])])
        return PodProblem("image-pull", f"container {name} cannot pull image {image} ({reason})"
                          + (f": {why}" if why else ""), tuple(evidence), container=name)
    if terminated.get("reason") == "OOMKilled":
        return PodProblem("oom-killed", f"container {name} was OOMKilled (restarts: {cs.get('restartCount', 0)})",
                          (field(pod, f"{path}.lastState.terminated.reason", "OOMKilled",
                                 f"exit code {terminated.get('exitCode')}, limit reached"),),
                          container=name)
    if reason == "CrashLoopBackOff":
        code = terminated.get("exitCode")
        meaning = exit_meaning(code)
        evidence = [field(pod, f"{path}.state.waiting.reason", reason,
                          f"restarts: {cs.get('restartCount', 0)}, last exit code {code}"
                          + (f" ({meaning})" if meaning else ""))]
        liveness = [e for e in events_with_reason(snap, pod, ("Unhealthy",)) if "iveness" in event_message(e)]
        if liveness:
            return PodProblem("crash-loop", f"container {name} is restarted by the kubelet: its liveness probe fails "
                              f"({event_message(liveness[-1])})", tuple(evidence + [event_evidence(liveness[-1])]),
                              container=name)
        api = log_evidence(snap, pod, name, API_WORDS, note="cannot reach the API server")
        if api:
            return PodProblem("api-unreachable", f"container {name} crash-loops and cannot reach the API server",
                              tuple(evidence + api), container=name)
        evidence += log_evidence(snap, pod, name) or unread_log(snap, pod, name)
        return PodProblem("crash-loop", f"container {name} is in CrashLoopBackOff (last exit code {code})",
                          tuple(evidence), container=name)
    if reason in ("ContainerCreating", "PodInitializing"):
        mount = events_with_reason(snap, pod, ("FailedMount", "FailedAttachVolume"))
        if mount:
            return PodProblem("mount-failure", f"a volume cannot be mounted: {event_message(mount[-1])}",
                              tuple(event_evidence(e) for e in mount[-2:]), container=name)
    if reason in ("CreateContainerConfigError", "CreateContainerError", "RunContainerError"):
        message = str(waiting.get("message") or "")
        evidence = [field(pod, f"{path}.state.waiting", f"{reason}: {message}")]
        missing = missing_config(message)
        if missing is not None:
            kind, missing_name = missing
            namespace = a.namespace(pod)
            looked = snap.absent(kind, namespace, missing_name)
            evidence.append(Evidence(object=f"{kind}/{namespace}/{missing_name}",
                                     note="not in the namespace" if looked else "as the kubelet reports"))
            return PodProblem("crash-loop", f"container {name} cannot start: {kind} {missing_name} it needs is missing "
                              f"from {namespace} ({reason})", tuple(evidence), container=name)
        return PodProblem("crash-loop", f"container {name} cannot start ({reason}: {message})", tuple(evidence),
                          container=name)
    return None
