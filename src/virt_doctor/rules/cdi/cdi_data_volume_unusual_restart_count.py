"""CDIDataVolumeUnusualRestartCount: an importer, upload or clone pod restarted more than 3 times."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.evidence import cond_evidence, field, log_lines, unread_log

THRESHOLD = 3
SOURCE_WORDS = ("404", "not found", "connection refused", "no such host", "unauthorized", "forbidden", "x509",
                "unable to connect", "i/o timeout", "manifest unknown")
SPACE_WORDS = ("no space left", "exceeds", "too small", "insufficient space", "quota")


def is_cdi_worker(pod: dict[str, Any]) -> bool:
    """importer-*, cdi-upload-*, cdi-clone-* and *-source-pod pods that CDI starts per DataVolume."""
    name = a.name(pod)
    return (name.startswith(("importer-", "cdi-upload-", "cdi-clone-")) or name.endswith("-source-pod")) and \
        a.labels(pod).get("app") == "containerized-data-importer"


@rule("CDIDataVolumeUnusualRestartCount", focus=("namespace",), needs=("DataVolume",), reads=("Pod", "PersistentVolumeClaim"),
      causes=("source-unreachable", "storage-full", "oom-killed", "unknown"))
def cdi_data_volume_unusual_restart_count(snap: Snapshot) -> Iterator[Detection]:
    """A CDI worker pod's container restarted more than three times (the DataVolume's restartCount when no pod)."""
    seen_dvs: set[tuple[str, str]] = set()
    for pod in snap.kind("Pod"):
        if not is_cdi_worker(pod):
            continue
        restarts = max((int(cs.get("restartCount") or 0) for cs in a.container_statuses(pod)), default=0)
        if restarts <= THRESHOLD:
            continue
        dv_name = dv_of_worker(snap, pod)
        if dv_name:
            seen_dvs.add((a.namespace(pod), dv_name))
        yield _diagnose_pod(snap, pod, restarts, dv_name)
    for dv in snap.kind("DataVolume"):
        restarts = int(a.status(dv).get("restartCount") or 0)
        if restarts > THRESHOLD and (a.namespace(dv), a.name(dv)) not in seen_dvs and a.status(dv).get("phase") != "Succeeded":
            yield _diagnose_dv(snap, dv, restarts)


def dv_of_worker(snap: Snapshot, pod: dict[str, Any]) -> str:
    """The DataVolume a CDI worker pod works for ('' when the source cannot tell).

    The pod is owned by a PVC: the DataVolume's own claim (same name), or CDI's temporary
    `prime-<UID of the target PVC>`, resolved through that UID to the target claim and its DataVolume.
    """
    owner = a.controller_owner(pod) or {}
    if owner.get("kind") != "PersistentVolumeClaim":
        return ""
    claim = str(owner.get("name") or "")
    if claim.startswith("prime-"):
        target = snap.by_uid_of(claim.removeprefix("prime-"))
        if target is None or target.get("kind") != "PersistentVolumeClaim":
            return ""
        claim = a.name(target)
    pvc = snap.get("PersistentVolumeClaim", a.namespace(pod), claim)
    dv_owner = a.controller_owner(pvc) if pvc is not None else None
    return str(dv_owner.get("name") or claim) if dv_owner and dv_owner.get("kind") == "DataVolume" else claim


def _classify(text: str) -> str:
    lowered = text.lower()
    if any(w in lowered for w in SPACE_WORDS):
        return "storage-full"
    if any(w in lowered for w in SOURCE_WORDS):
        return "source-unreachable"
    return "unknown"


def _diagnose_pod(snap: Snapshot, pod: dict[str, Any], restarts: int, dv_name: str) -> Detection:
    ns, name = a.namespace(pod), a.name(pod)
    cs = max(a.container_statuses(pod), key=lambda c: int(c.get("restartCount") or 0))
    terminated = a.last_termination(cs)
    evidence = [field(pod, f"status.containerStatuses[{cs.get('name')}].restartCount", restarts,
                      f"last exit {terminated.get('exitCode')} {terminated.get('reason') or ''}".strip())]
    message = str(terminated.get("message") or "")
    if message:
        evidence.append(field(pod, f"status.containerStatuses[{cs.get('name')}].lastState.terminated.message",
                              message.strip()[:300]))
    path, lines = log_lines(snap, pod, str(cs.get("name")), SOURCE_WORDS + SPACE_WORDS)
    evidence += [field(pod, f"log {cs.get('name')}", line, path) for line in lines] or \
        unread_log(snap, pod, str(cs.get("name")))
    cause = "oom-killed" if terminated.get("reason") == "OOMKilled" else _classify(" ".join([message, *lines]))
    params = {"namespace": ns, "pod": name, "dv": dv_name or "<dv>"}
    return Detection(Subject("Pod", ns, name), cause,
                     f"CDI pod {ns}/{name}{f' (DataVolume {dv_name})' if dv_name else ''} restarted {restarts} times",
                     evidence=tuple(evidence), params=params,
                     checked=("termination reason and message", "the pod's log") if cause == "unknown" else ())


def _diagnose_dv(snap: Snapshot, dv: dict[str, Any], restarts: int) -> Detection:
    ns, name = a.namespace(dv), a.name(dv)
    running = a.condition(dv, "Running")
    evidence = [field(dv, "status.restartCount", restarts, "its importer pod is not in the source")]
    text = ""
    if running is not None:
        evidence.append(cond_evidence(dv, running))
        text = str(running.get("message") or "")
    cause = _classify(text)
    return Detection(Subject("DataVolume", ns, name), cause,
                     f"DataVolume {ns}/{name}'s worker pod restarted {restarts} times", evidence=tuple(evidence),
                     params={"namespace": ns, "dv": name}, labels={"datavolume": name},
                     checked=("the DataVolume's Running condition",) if cause == "unknown" else ())
