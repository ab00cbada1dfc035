"""Evidence built from objects: one fact, one line, naming object, field and value."""

from __future__ import annotations

from typing import Any

import orjson

from virt_doctor.report.model import Evidence
from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.snapshot import Snapshot, event_time

Obj = dict[str, Any]

LOG_ERROR_WORDS = ("error", "fail", "fatal", "panic", "refused", "timeout", "timed out", "no such host",
                   "denied", "forbidden", "unable", "cannot", "couldn't", "not found")


def field(obj: Obj, path: str, value: Any, note: str = "") -> Evidence:
    """A field of an object, with its value."""
    return Evidence(object=a.ref(obj), path=path, value=value, note=note)


def cond_evidence(obj: Obj, cond: Obj, note: str = "") -> Evidence:
    """A status condition, as `status.conditions[Type]` with status, reason and message."""
    reason = cond.get("reason") or ""
    message = cond.get("message") or ""
    value = f"{cond.get('status')}" + (f" ({reason})" if reason else "") + (f": {message}" if message else "")
    return Evidence(object=a.ref(obj), path=f"status.conditions[{cond.get('type')}]", value=value, note=note)


def event_message(event: Obj) -> str:
    """An event's message (core/v1 `message`, events.k8s.io/v1 `note`)."""
    return str(event.get("message") or event.get("note") or "")


def event_evidence(event: Obj, note: str = "") -> Evidence:
    """An event, as 'Reason: message (xN)'."""
    involved = event.get("involvedObject") or event.get("regarding") or {}
    subject = f"{involved.get('kind')}/{involved.get('namespace')}/{involved.get('name')}" if involved.get(
        "namespace") else f"{involved.get('kind')}/{involved.get('name')}"
    count = event.get("count") or (event.get("series") or {}).get("count") or event.get("deprecatedCount")
    suffix = f" (x{count})" if count and int(count) > 1 else ""
    when = event_time(event)
    message = event_message(event)
    return Evidence(object=subject, path=f"event {event.get('reason')}",
                    value=f"{message}{suffix}".strip(),
                    note=note or (f"{event.get('type', 'Normal')} event at {when:%Y-%m-%dT%H:%M:%SZ}" if when else ""))


def events_with_reason(snap: Snapshot, obj: Obj, reasons: tuple[str, ...]) -> list[Obj]:
    """The object's events whose reason is one of `reasons`, newest last."""
    return [e for e in snap.events_for(obj) if e.get("reason") in reasons]


def readable_log_line(line: str) -> str:
    """KubeVirt logs JSON lines; show them as 'level: msg' (other lines as they are)."""
    text = line.strip()
    if text.startswith("{"):
        try:
            record = orjson.loads(text)
        except orjson.JSONDecodeError:
            return text[:400]
        if isinstance(record, dict) and record.get("msg"):
            reason = f" ({record['reason']})" if record.get("reason") else ""
            return f"{record.get('level', 'info')}: {record['msg']}{reason}"[:400]
    return text[:400]


def log_lines(snap: Snapshot, pod: Obj, container: str, words: tuple[str, ...] = LOG_ERROR_WORDS,
              limit: int = 3) -> tuple[str, list[str]]:
    """The last lines of a container's log that mention any of `words`: previous run first, as after a crash."""
    log = snap.log(a.namespace(pod), a.name(pod), container)
    if log is None:
        return "", []
    for which, lines in (("previous", log.previous), ("current", log.current)):
        hits = [line for line in lines if any(w in line.lower() for w in words)]
        if hits:
            return log.paths.get(which, log.path), [readable_log_line(line) for line in hits[-limit:]]
    return "", []


def unread_log(snap: Snapshot, pod: Obj, container: str) -> list[Evidence]:
    """A log the source was asked for and could not read (live: the node not Ready, its kubelet not answering),
    named as not checked: never as a log without the lines looked for. Empty when the log was read or not asked."""
    log = snap.log(a.namespace(pod), a.name(pod), container)
    if log is None or not log.unread:
        return []
    return [Evidence(object=a.ref(pod), path=f"log {container}", value="not checked", note=log.unread)]


def log_evidence(snap: Snapshot, pod: Obj, container: str, words: tuple[str, ...] = LOG_ERROR_WORDS,
                 limit: int = 3, note: str = "log line") -> list[Evidence]:
    """Log lines as evidence, naming the log file they came from."""
    path, lines = log_lines(snap, pod, container, words, limit)
    return [Evidence(object=a.ref(pod), path=f"log {container}", value=line, note=f"{note}, {path}")
            for line in lines]
