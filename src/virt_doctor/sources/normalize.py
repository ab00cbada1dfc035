"""Objects as every source keeps them: shaped like Kubernetes objects, stripped of what nobody should keep.

The dump reader and the live source both call these on each object as it arrives, so a rule sees
the same dict whichever source read it.
"""

from __future__ import annotations

from typing import Any

from virt_doctor.sources.compact import LAST_APPLIED, PRUNE, StringPool


def malformed(obj: Any) -> str | None:
    """Why `obj` is not shaped like a Kubernetes object (rules trust kind, metadata, spec and status), or None."""
    if not isinstance(obj, dict):
        return f"is a {type(obj).__name__}, not a Kubernetes object"
    if not obj.get("kind") or not isinstance(obj["kind"], str):
        return "without kind"
    for key in ("metadata", "spec", "status"):
        if obj.get(key) is not None and not isinstance(obj[key], dict):
            return f"with a {key} that is a {type(obj[key]).__name__}, not a mapping"
    return None


def event_as_v1(event: dict[str, Any]) -> dict[str, Any]:
    """An events.k8s.io/v1 Event in core v1's shape (involvedObject, message, lastTimestamp, count)."""
    series = event.get("series") or {}
    shaped = {"involvedObject": event.get("regarding"), "message": event.get("note"),
              "lastTimestamp": event.get("deprecatedLastTimestamp") or series.get("lastObservedTime")
              or event.get("eventTime"), "firstTimestamp": event.get("deprecatedFirstTimestamp"),
              "count": event.get("deprecatedCount") or series.get("count")}
    return {**event, "apiVersion": "v1", **{k: v for k, v in shaped.items() if v is not None}}


def normalize(obj: dict[str, Any], strings: StringPool) -> dict[str, Any]:
    """Drop managed fields, the last-applied copy, secrets' payloads and fields no rule reads; share strings."""
    if obj.get("kind") == "Event" and str(obj.get("apiVersion", "")).startswith("events.k8s.io/"):
        obj = event_as_v1(obj)
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
        annotations = metadata.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(LAST_APPLIED, None)
    prune = PRUNE.get(obj.get("kind", ""))
    if prune is not None:
        prune(obj)
    strings.share(obj)
    return obj
