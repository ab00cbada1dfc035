"""Record every snapshot read a rule makes: which kind, and where (a namespace, or '*' for cluster-wide)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from virt_doctor.snapshot.indexes import INDEXES
from virt_doctor.snapshot.snapshot import Snapshot

CLUSTER_WIDE = "*"
INDEX_KIND = {name: kind for name, kind, _ in INDEXES}


def _namespace_of_index_key(index_name: str, key: Hashable) -> str:
    """Indexes keyed by namespace read one namespace; the others span the cluster."""
    if index_name == "pods_by_namespace":
        return str(key)
    if index_name == "events_by_object" and isinstance(key, tuple):
        return str(key[1]) or CLUSTER_WIDE
    if index_name == "migrations_by_vmi" and isinstance(key, tuple):
        return str(key[0])
    return CLUSTER_WIDE


Reads = set[tuple[str, str]]


@contextmanager
def recording(monkeypatch: pytest.MonkeyPatch) -> Iterator[Reads]:
    """While active, every lookup on any Snapshot adds (kind, namespace) to the yielded set."""
    reads: Reads = set()
    original: dict[str, Callable[..., Any]] = {name: getattr(Snapshot, name) for name in (
        "kind", "get", "lookup", "listed", "index", "index_items", "events_for", "log", "by_uid_of")}

    def kind(self: Snapshot, kind: str, group: str | None = None) -> Any:
        reads.add((kind, CLUSTER_WIDE))
        return original["kind"](self, kind, group)

    def by_name(name: str) -> Callable[..., Any]:
        def read(self: Snapshot, kind: str, namespace: str, obj_name: str) -> Any:
            reads.add((kind, namespace or CLUSTER_WIDE))
            return original[name](self, kind, namespace, obj_name)
        return read

    def by_uid_of(self: Snapshot, uid: str) -> Any:
        found = original["by_uid_of"](self, uid)
        if found is not None:
            reads.add((str(found.get("kind")), str((found.get("metadata") or {}).get("namespace") or CLUSTER_WIDE)))
        return found

    def listed(self: Snapshot, kind: str, namespace: str = "") -> Any:
        reads.add((kind, namespace or CLUSTER_WIDE))
        return original["listed"](self, kind, namespace)

    def index(self: Snapshot, index_name: str, key: Hashable) -> Any:
        reads.add((INDEX_KIND[index_name], _namespace_of_index_key(index_name, key)))
        return original["index"](self, index_name, key)

    def index_items(self: Snapshot, index_name: str) -> Any:
        reads.add((INDEX_KIND[index_name], CLUSTER_WIDE))
        return original["index_items"](self, index_name)

    def events_for(self: Snapshot, obj: dict[str, Any]) -> Any:
        reads.add(("Event", str((obj.get("metadata") or {}).get("namespace") or CLUSTER_WIDE)))
        return original["events_for"](self, obj)

    def log(self: Snapshot, namespace: str, pod: str, container: str) -> Any:
        reads.add(("Pod", namespace))  # a pod's log is read with its pod
        return original["log"](self, namespace, pod, container)

    for name, fn in (("kind", kind), ("get", by_name("get")), ("lookup", by_name("lookup")), ("by_uid_of", by_uid_of), ("listed", listed),
                     ("index", index), ("index_items", index_items), ("events_for", events_for), ("log", log)):
        monkeypatch.setattr(Snapshot, name, fn)
    yield reads
