"""Turn a source into a Snapshot with its evaluation time fixed."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from virt_doctor.errors import SourceError
from virt_doctor.snapshot import Snapshot, SourceInfo
from virt_doctor.snapshot.snapshot import newest_timestamp
from virt_doctor.sources.dump import read_dump
from virt_doctor.sources.prometheus import PrometheusClient, fetch


def load_dump(path: str | os.PathLike[str], at: datetime | None = None, source_type: str = "dump") -> Snapshot:
    """A dump as a Snapshot, evaluated at `at`, else its collection time, else its newest timestamp."""
    with paused_gc():
        raw = read_dump(path)
        moment = at or raw.collected_at or newest_timestamp(raw.objects)
        if moment is None:
            raise SourceError(f"{path}: no collection time and no timestamps in the objects; give --at")
        return Snapshot(
            objects=raw.objects,
            at=moment,
            source=SourceInfo(source_type, raw.location, tuple(raw.warnings), tuple(raw.skipped_files),
                              raw.files_read),
            logs=raw.logs,
            listed_kinds=frozenset(raw.listed_kinds),
            collected_at=raw.collected_at,
        )


@contextmanager
def paused_gc() -> Iterator[None]:
    """Load without the cyclic GC, then freeze what was loaded.

    Parsed objects hold no reference cycles, but every container allocated while
    they accumulate makes the collector walk the whole growing heap again: with
    it on, loading is several times slower and grows faster than linearly. The
    frozen objects are never scanned again by later collections.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def empty_snapshot(at: datetime, location: str) -> Snapshot:
    """A snapshot with no objects, for a scan that only asks Prometheus."""
    return Snapshot(objects=[], at=at, source=SourceInfo("prometheus", location))


def attach_metrics(snap: Snapshot, client: PrometheusClient, queries: dict[str, tuple[dict[str, str], timedelta]]
                   ) -> str | None:
    """Ask Prometheus every rule's queries at the snapshot's time; return a one-line warning if it failed."""
    answers = fetch(client, queries, snap.at)
    snap.metrics = answers.results
    snap.metric_errors = answers.errors
    snap.prometheus_alerts = answers.firing
    if answers.errors and not answers.results:
        return next(iter(answers.errors.values()))
    return None
