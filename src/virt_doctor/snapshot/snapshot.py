"""The Snapshot: every object of a cluster as a plain dict, indexed once, at a fixed evaluation time."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple, Protocol, TypeVar, cast

from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.alert_rules import CollectedPrometheus
from virt_doctor.snapshot.indexes import INDEXES, IndexName
from virt_doctor.snapshot.metrics import Series
from virt_doctor.snapshot.seen import Seen
from virt_doctor.timeutil import parse_time

Obj = dict[str, Any]
T = TypeVar("T")


class LogLike(Protocol):
    """What rules read of a pod log: its path and the tails of the current and previous logs; `unread` says why
    a log that was asked for could not be read (a live scan: the node not Ready, its kubelet not answering), so a
    diagnosis can name it as not checked rather than as a log without the lines it looks for."""

    path: str
    current: list[str]
    previous: list[str]
    paths: dict[str, str]
    unread: str


# the alert whose rule is running (set by the rule engine): a log source may note which alerts' rules read logs
RULE_RUNNING: ContextVar[str] = ContextVar("rule_running", default="")


class LogSource(Protocol):
    """Where a snapshot's container logs come from. A dump's are all there (LogTable); a live scan reads logs
    on demand in two passes: the rules first run against a source that notes each log they would read and
    answers None (not read yet: sources/live/read.LogsToRead), then again with the logs fetched."""

    def log(self, namespace: str, pod: str, container: str) -> LogLike | None: ...


@dataclass(frozen=True)
class LogTable:
    """The logs a source holds, by (namespace, pod, container)."""

    logs: Mapping[tuple[str, str, str], LogLike] = field(default_factory=dict)

    def log(self, namespace: str, pod: str, container: str) -> LogLike | None:
        return self.logs.get((namespace, pod, container))


@dataclass(frozen=True)
class SourceInfo:
    """Where the snapshot came from, as the report contract names it."""

    type: str  # dump | live | simulated
    location: str
    warnings: tuple[str, ...] = ()
    skipped_files: tuple[str, ...] = ()
    files_read: int = 0
    gatherers: tuple[Mapping[str, Any], ...] = ()  # who wrote each image directory of a dump, what it listed


def _resource_version(obj: Obj) -> tuple[int, str]:
    text = str((obj.get("metadata") or {}).get("resourceVersion") or "")
    return (int(text), text) if text.isdigit() else (-1, text)


def _group(obj: Obj) -> str:
    api_version = str(obj.get("apiVersion") or "")
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


class Missing(NamedTuple):
    """An object that is not in the source: `seen` says whether its kind was listed there (then it does not
    exist) or not (then nobody knows); `reason` says which, for evidence and coverage."""

    seen: bool
    reason: str

    def __bool__(self) -> bool:
        return False


@dataclass(frozen=True)
class Snapshot:
    """Cluster objects, de-duplicated and indexed once; `at` is the evaluation time rules use.

    Immutable once built: objects, logs, metrics and what was seen (`seen`) all come in at
    construction. Derived values rules share are cached by `derived`, keyed by what they depend on.
    """

    objects: list[Obj]
    at: datetime
    source: SourceInfo
    logs: LogSource = field(default_factory=LogTable)
    seen: Seen = field(default_factory=Seen)
    collected_at: datetime | None = None
    metrics: Mapping[str, Mapping[str, list[Series]]] | None = None  # None: no Prometheus configured
    metric_errors: Mapping[str, str] = field(default_factory=dict)
    prometheus_alerts: list[Series] | None = None  # the ALERTS series at `at`, for the cross-check
    collected: CollectedPrometheus | None = None  # the cluster's Prometheus at collection, as a dump saved it
    # the alert instances a person asked about (alert -> its labels), where a diagnosis starts: the pod, node and
    # waiting reason a self-diagnosing alert names
    asked: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # built once in __post_init__
    by_kind: dict[str, list[Obj]] = field(init=False, repr=False, compare=False)
    by_key: dict[tuple[str, str, str], Obj] = field(init=False, repr=False, compare=False)
    by_uid: dict[str, Obj] = field(init=False, repr=False, compare=False)
    indexes: dict[str, dict[Hashable, list[Obj]]] = field(init=False, repr=False, compare=False)
    unindexed: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _derived: dict[Hashable, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        built = _indexed(self.objects)
        if built is None:  # one kind, namespace and name in two API groups: de-duplicate by group first
            built = cast(dict[str, Any], _indexed(_dedupe(self.objects), deduped=True))  # never None when deduped
        for name, value in built.items():
            object.__setattr__(self, name, value)

    def with_logs(self, logs: LogSource, warnings: tuple[str, ...]) -> Snapshot:
        """The same snapshot (indexes shared, nothing re-read) with the logs read since and the source's warnings as
        they stand now: a live scan's second pass, without indexing every object again."""
        other = copy.copy(self)
        object.__setattr__(other, "logs", logs)
        object.__setattr__(other, "source", replace(self.source, warnings=warnings))
        object.__setattr__(other, "_derived", {})
        return other

    def asking(self, asked: Mapping[str, Mapping[str, str]]) -> Snapshot:
        """The same snapshot (indexes shared, nothing re-read) asked about these alert instances."""
        other = copy.copy(self)
        object.__setattr__(other, "asked", dict(asked))
        object.__setattr__(other, "_derived", {})
        return other

    # --- lookups: what is present -----------------------------------------------------------

    def kind(self, kind: str, group: str | None = None) -> list[Obj]:
        """Every object of a kind the source holds (optionally of one API group): present, not 'all there are'."""
        objs = self.by_kind.get(kind, [])
        return objs if group is None else [o for o in objs if _group(o) == group]

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        """One object if the source holds it; None says nothing about whether it exists (see `lookup`)."""
        return self.by_key.get((kind, namespace, name))

    def by_uid_of(self, uid: str) -> Obj | None:
        """The object with this metadata.uid, if the source holds it."""
        return self.by_uid.get(uid)

    def index(self, index_name: IndexName, key: Hashable) -> list[Obj]:
        """The objects filed under `key` in a declared index (see indexes.py)."""
        return self.indexes[index_name].get(key, [])

    def index_items(self, index_name: IndexName) -> list[tuple[Hashable, list[Obj]]]:
        """Every (key, objects) of a declared index."""
        return list(self.indexes[index_name].items())

    def events_for(self, obj: Obj) -> list[Obj]:
        """Events about an object, newest last."""
        events = self.index("events_by_object", (obj.get("kind"), a.namespace(obj), a.name(obj)))
        return sorted(events, key=event_time_key)

    def log(self, namespace: str, pod: str, container: str) -> LogLike | None:
        """A container's log, if the source has it (a live scan's first pass notes the question: LogSource)."""
        return self.logs.log(namespace, pod, container)

    def age(self, moment: datetime | None) -> float | None:
        """Seconds from `moment` to the evaluation time."""
        return (self.at - moment).total_seconds() if moment else None

    # --- what was seen: present / absent / unknown -------------------------------------------

    def listed(self, kind: str, namespace: str = "") -> bool:
        """Whether the source listed `kind` in `namespace` ('' cluster-wide): only then does absence count."""
        return self.seen.listed(kind, namespace)

    def lookup(self, kind: str, namespace: str, name: str) -> Obj | Missing:
        """The object, or Missing(seen=True) when its kind was listed there and it is not, else Missing(seen=False)."""
        found = self.by_key.get((kind, namespace, name))
        if found is not None:
            return found
        where = f" in {namespace}" if namespace else ""
        if self.seen.listed(kind, namespace):
            return Missing(True, f"no {kind} {name}{where} (the source lists {kind}{where} and it is not there)")
        return Missing(False, self.seen.why_unseen(kind, namespace))

    def absent(self, kind: str, namespace: str, name: str) -> bool:
        """True only when the object's kind was listed in its namespace and the object is not there."""
        found = self.lookup(kind, namespace, name)
        return isinstance(found, Missing) and found.seen

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A value computed once per snapshot; `key` must name everything the value depends on."""
        if key not in self._derived:
            self._derived[key] = compute()
        return cast(T, self._derived[key])


def event_time(event: Obj) -> datetime | None:
    """When an event last happened (lastTimestamp, series, eventTime, creation)."""
    series = event.get("series") or {}
    for value in (event.get("lastTimestamp"), series.get("lastObservedTime"), event.get("eventTime"),
                  event.get("firstTimestamp"), (event.get("metadata") or {}).get("creationTimestamp")):
        moment = parse_time(value)
        if moment:
            return moment
    return None


def event_time_key(event: Obj) -> str:
    moment = event_time(event)
    return moment.isoformat() if moment else ""


def _indexed(objects: list[Obj], deduped: bool = False) -> dict[str, Any] | None:
    """The snapshot's tables over these objects, the newest copy of each (group, kind, namespace, name) in the
    place of its first, as `_dedupe` keeps them, without a pass of its own; None when two objects of one kind,
    namespace and name differ in API group (then the caller de-duplicates first: rare). `deduped`: the objects
    are one a (group, kind, namespace, name); of one kind, namespace and name, the later is looked up."""
    by_kind: dict[str, list[Obj]] = defaultdict(list)
    by_key: dict[tuple[str, str, str], Obj] = {}
    by_uid: dict[str, Obj] = {}
    kept: list[Obj] = []
    first_of: dict[tuple[str, str, str], Obj] = {}  # only keys held twice (a must-gather lists pods twice)
    newer: dict[int, Obj] = {}  # id of a first copy -> the newest copy, which takes its place
    clash = False  # a uid two objects kept apart hold: by_uid is made again, in the kept order
    for obj in objects:
        kind = obj["kind"]
        metadata = obj.get("metadata") or {}
        key = (kind, metadata.get("namespace") or "", metadata.get("name") or "")
        current = by_key.get(key)
        if current is None or deduped:
            by_kind[kind].append(obj)
            kept.append(obj)
        elif _group(current) != _group(obj):
            return None
        elif _resource_version(obj) >= _resource_version(current):
            newer[id(first_of.setdefault(key, current))] = obj
            old_uid = (current.get("metadata") or {}).get("uid")
            if old_uid and by_uid.get(old_uid) is current:
                del by_uid[old_uid]
        else:
            continue
        by_key[key] = obj
        object_uid = metadata.get("uid")
        if object_uid:
            clash = clash or object_uid in by_uid
            by_uid[object_uid] = obj
    if newer:
        kept = [newer.get(id(o), o) for o in kept]
        for kind in {o["kind"] for o in newer.values()}:
            by_kind[kind] = [newer.get(id(o), o) for o in by_kind[kind]]
    if clash:
        by_uid = {}
        for obj in kept:
            object_uid = (obj.get("metadata") or {}).get("uid")
            if object_uid:
                by_uid[object_uid] = obj
    indexes, unindexed = _index(by_kind, kept)
    return {"objects": kept, "by_kind": by_kind, "by_key": by_key, "by_uid": by_uid, "indexes": indexes,
            "unindexed": tuple(unindexed), "_derived": {}}


INDEX_ERRORS = (AttributeError, TypeError, KeyError, IndexError, ValueError)


def _index(by_kind: Mapping[str, list[Obj]],
           kept: list[Obj]) -> tuple[dict[str, dict[Hashable, list[Obj]]], list[str]]:
    """The declared indexes (indexes.py) over the objects of their kinds, and a warning for each object a key
    function could not read, in the objects' order."""
    per_kind: dict[str, list[tuple[dict[Hashable, list[Obj]], Any]]] = defaultdict(list)
    indexes: dict[str, dict[Hashable, list[Obj]]] = {}
    for index_name, kind, key_fn in INDEXES:
        table: dict[Hashable, list[Obj]] = defaultdict(list)
        indexes[index_name] = table
        per_kind[kind].append((table, key_fn))
    failed = False
    for kind, tables in per_kind.items():
        for obj in by_kind.get(kind, ()):
            for kind_table, key_fn in tables:
                try:
                    index_key = key_fn(obj)
                except INDEX_ERRORS:
                    failed = True
                    continue
                if index_key is not None:
                    kind_table[index_key].append(obj)
    if not failed:
        return indexes, []
    unindexed: list[str] = []
    for obj in kept:
        for _table, key_fn in per_kind.get(obj["kind"], ()):
            try:
                key_fn(obj)
            except INDEX_ERRORS as exc:
                unindexed.append(f"{a.ref(obj)}: a field has an unexpected shape ({exc}); "
                                 "rules may not see this object")
    return indexes, unindexed


def _dedupe(objects: Iterable[Obj]) -> list[Obj]:
    """One object per (group, kind, namespace, name): the one with the newest resourceVersion."""
    chosen: dict[tuple[str, str, str, str], Obj] = {}
    groups: dict[str, str] = {}
    for obj in objects:
        metadata = obj.get("metadata") or {}
        api_version = obj.get("apiVersion") or ""
        group = groups.get(api_version)
        if group is None:
            group = groups[api_version] = _group(obj)
        key = (group, obj["kind"], metadata.get("namespace") or "", metadata.get("name") or "")
        current = chosen.get(key)
        if current is None or _resource_version(obj) >= _resource_version(current):
            chosen[key] = obj
    return list(chosen.values())


def newest_timestamp(objects: Iterable[Obj]) -> datetime | None:
    """The latest time written anywhere obvious in the objects: the fallback evaluation time."""
    best = ""
    others: list[object] = []
    for obj in objects:
        metadata = obj.get("metadata") or {}
        candidates = [metadata.get("creationTimestamp"), obj.get("lastTimestamp")]
        for cond in (obj.get("status") or {}).get("conditions") or []:
            if isinstance(cond, dict):
                candidates.append(cond.get("lastTransitionTime"))
                candidates.append(cond.get("lastHeartbeatTime"))
        for value in candidates:
            if isinstance(value, str) and len(value) == 20 and value.endswith("Z"):
                best = max(best, value)
            elif value:
                others.append(value)
    moments = [m for m in (parse_time(v) for v in [best, *others]) if m]
    return max(moments) if moments else None
