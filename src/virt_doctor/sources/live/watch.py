"""A live view kept fresh by watches, for `serve`: every scope a scan lists is LISTed, then WATCHed from that
resourceVersion (bookmarks on); a 410 Gone lists it again, errors back off and resume. `raw()` is what is
known now, as the RawDump a scan reads, so the rules see a watched cluster exactly as a listed one.

A watch that keeps failing leaves its objects as last seen, and says so: `problems()` for /readyz, and a
warning in every evaluation until it recovers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from virt_doctor.snapshot.seen import LISTED, Scope
from virt_doctor.sources.dump import RawDump
from virt_doctor.sources.live.client import ApiError, Gone, KubeClient
from virt_doctor.sources.live.discovery import Served, discover
from virt_doctor.sources.live.listing import METADATA_ACCEPT, METADATA_ONLY
from virt_doctor.sources.live.read import read_cluster
from virt_doctor.sources.normalize import malformed, normalize

WATCH_SECONDS = 290  # the server ends each watch after this; it is then resumed from the last resourceVersion
BACKOFF, MAX_BACKOFF = 0.5, 30.0


@dataclass
class _Watched:
    """One scope's objects (by uid), where its watch has got to, and what is wrong with it."""

    served: Served
    namespace: str
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    version: str = ""  # "" : list (again) before watching
    problem: str = ""
    failing_since: datetime | None = None


class WatchCache:
    """The cluster as the watches know it. Thread-safe; `on_change` is called after every change."""

    def __init__(self, client: KubeClient, namespace: str = "", configmap_data: bool = False,
                 on_change: Callable[[], None] | None = None, on_restart: Callable[[], None] | None = None) -> None:
        self.client = client
        self.namespace = namespace
        self.configmap_data = configmap_data
        self.on_change = on_change or (lambda: None)
        self.on_restart = on_restart or (lambda: None)
        self.restarts = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._static = RawDump(location="")
        self._watched: dict[Scope, _Watched] = {}
        self._threads: list[threading.Thread] = []
        self._streams = client

    def start(self) -> None:
        """List everything once (as a scan does: what was seen, refused or not installed is recorded), then
        watch every scope that was listed, each in its own thread."""
        first = read_cluster(self.client, self.namespace, configmap_data=self.configmap_data)
        served = discover(self.client).served
        self._static = RawDump(location=first.location, scopes=dict(first.scopes), reasons=dict(first.reasons),
                               warnings=list(first.warnings))
        for scope, state in first.scopes.items():
            if state == LISTED and scope.kind in served:
                self._watched[scope] = _Watched(served[scope.kind], scope.namespace)
        for obj in first.objects:  # each object to the scope it was listed in
            meta = obj["metadata"]
            scope = Scope(obj["kind"], meta.get("namespace") or "")
            watched = self._watched.get(scope) or self._watched.get(Scope(obj["kind"], ""))
            if watched is not None and meta.get("uid"):
                watched.objects[meta["uid"]] = obj
            else:
                self._static.objects.append(obj)  # e.g. events read through events.k8s.io: kept as first read
        # each watch holds a connection for as long as it runs: they get their own pool, one connection each, so
        # the scans' requests (logs) never wait behind them
        self._streams = KubeClient(self.client.conn, connections=len(self._watched) + 2)
        self._streams.traffic = self.client.traffic
        for scope, watched in self._watched.items():
            thread = threading.Thread(target=self._run, args=(watched,), daemon=True,
                                      name=f"watch {scope.kind} {scope.namespace or '(all)'}")
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop watching: each watch thread ends when its stream next yields or ends (at the latest at the
        server's timeout). Nothing is closed from here: a socket closed under a thread still reading it could
        be reused by another connection and read from by the wrong thread."""
        self._stop.set()

    def raw(self) -> RawDump:
        """What is known now, as a fresh RawDump (objects shared, never changed in place: events replace them)."""
        with self._lock:
            raw = RawDump(location=self._static.location, objects=list(self._static.objects),
                          scopes=dict(self._static.scopes), reasons=dict(self._static.reasons),
                          warnings=list(self._static.warnings))
            for scope, watched in self._watched.items():
                raw.objects += watched.objects.values()
                if watched.problem:
                    raw.warnings.append(f"{scope.kind}{' in ' + scope.namespace if scope.namespace else ''}: the "
                                        f"watch is failing ({watched.problem}); its objects are as last seen")
        return raw

    @property
    def scopes(self) -> list[Scope]:
        """The scopes being watched."""
        return list(self._watched)

    def problems(self) -> list[str]:
        with self._lock:
            return [f"watch of {s.kind}{' in ' + s.namespace if s.namespace else ''} failing since "
                    f"{w.failing_since:%H:%M:%S} ({w.problem})" for s, w in self._watched.items()
                    if w.problem and w.failing_since is not None]

    # --- one scope ----------------------------------------------------------------------------------------
    def _run(self, watched: _Watched) -> None:
        delay = BACKOFF
        while not self._stop.is_set():
            try:
                if not watched.version:
                    self._list(watched)
                self._watch(watched)
                delay = BACKOFF
                self._recovered(watched)
            except Gone:
                watched.version = ""  # too old to resume from: list again
                self._restarted()
            except ApiError as exc:
                self._failed(watched, str(exc))
                self._restarted()
                self._stop.wait(delay)
                delay = min(delay * 2, MAX_BACKOFF)

    def _headers(self, watched: _Watched, listing: bool) -> dict[str, str] | None:
        """Secrets (and ConfigMaps, unless their data is asked for) as metadata only, listed and watched."""
        if watched.served.resource.kind not in METADATA_ONLY - (
                frozenset({"ConfigMap"}) if self.configmap_data else frozenset()):
            return None
        return {"Accept": METADATA_ACCEPT if listing else METADATA_ACCEPT.replace("MetadataList", "Metadata")}

    def _list(self, watched: _Watched) -> None:
        """A fresh LIST of the scope (from the watch cache), replacing what was known; the version to watch from."""
        objects: dict[str, dict[str, Any]] = {}

        def keep(item: dict[str, Any]) -> dict[str, Any] | None:
            obj = self._object(watched, item)
            if obj is not None:
                objects[obj["metadata"]["uid"]] = obj
            return None

        path, what = watched.served.path(watched.namespace), f"list {watched.served.resource.plural}"
        _, metadata = self._streams.list_items(path, {"resourceVersion": "0"}, what, self._headers(watched, True), keep)
        if not metadata.get("resourceVersion"):  # a cache not ready to say where it is: etcd says (a quorum read)
            objects.clear()
            _, metadata = self._streams.list_items(path, {}, what, self._headers(watched, True), keep)
        with self._lock:
            watched.objects = objects
            watched.version = str(metadata.get("resourceVersion") or "")
        self.on_change()

    def _watch(self, watched: _Watched) -> None:
        params = {"resourceVersion": watched.version, "allowWatchBookmarks": "true",
                  "timeoutSeconds": str(WATCH_SECONDS)}
        for event in self._streams.watch(watched.served.path(watched.namespace), params, self._headers(watched, False),
                                       read_timeout=WATCH_SECONDS + 60,
                                       on_open=lambda: self._recovered(watched)):
            if self._stop.is_set():
                return
            kind, item = event.get("type"), event.get("object") or {}
            if kind == "ERROR":
                code = int(item.get("code") or 0)
                if code == 410:
                    raise Gone(410, str(item.get("message") or "too old resource version"))
                raise ApiError(code, f"watch {watched.served.resource.plural}: {item.get('message') or item}")
            version = str((item.get("metadata") or {}).get("resourceVersion") or "")
            if kind == "BOOKMARK":
                watched.version = version or watched.version
                self._recovered(watched)
                continue
            obj = self._object(watched, item)
            if obj is None:
                continue
            with self._lock:
                if kind == "DELETED":
                    watched.objects.pop(obj["metadata"]["uid"], None)
                else:
                    watched.objects[obj["metadata"]["uid"]] = obj
                watched.version = version or watched.version
            self._recovered(watched)
            self.on_change()

    def _object(self, watched: _Watched, item: dict[str, Any]) -> dict[str, Any] | None:
        item["kind"] = watched.served.resource.kind
        item["apiVersion"] = watched.served.api_version
        if malformed(item) is not None or not (item.get("metadata") or {}).get("uid"):
            return None
        return normalize(item, self._static.strings)

    def _failed(self, watched: _Watched, why: str) -> None:
        with self._lock:
            watched.problem = why
            watched.failing_since = watched.failing_since or datetime.now(UTC)

    def _recovered(self, watched: _Watched) -> None:
        if watched.problem:
            with self._lock:
                watched.problem = ""
                watched.failing_since = None
            self.on_change()

    def _restarted(self) -> None:
        self.restarts += 1
        self.on_restart()
