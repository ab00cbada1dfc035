"""Turn a source into a Snapshot with its evaluation time fixed."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from virt_doctor.errors import SourceError
from virt_doctor.snapshot import Seen, Snapshot, SourceInfo
from virt_doctor.snapshot.snapshot import LogSource, LogTable, newest_timestamp
from virt_doctor.sources.dump import RawDump, read_dump
from virt_doctor.sources.prometheus import MetricAnswers, PrometheusClient, fetch

MetricsFn = Callable[[datetime, list[dict[str, Any]]], MetricAnswers]  # at the time, for these objects


def load_dump(path: str | os.PathLike[str], at: datetime | None = None, source_type: str = "dump",
              metrics: MetricsFn | None = None, processes: int | None = None) -> Snapshot:
    """A dump as a Snapshot, evaluated at `at`, else its collection time, else its newest timestamp.

    `metrics`, when given, is asked for Prometheus' answers at that time before the snapshot is built;
    `processes` parse a directory's files (default: one a core; read_dump).
    """
    with paused_gc():
        raw = read_dump(path, processes)
        moment = at or raw.collected_at or newest_timestamp(raw.objects)
        if moment is None:
            raise SourceError(f"{path}: no collection time and no timestamps in the objects; give --at")
        return snapshot_of(raw, moment, metrics(moment, raw.objects) if metrics is not None else None, source_type)


def snapshot_of(raw: RawDump, at: datetime, answers: MetricAnswers | None = None,
                source_type: str = "dump", logs: LogSource | None = None) -> Snapshot:
    """The Snapshot of what a source read, with what it saw and Prometheus' answers, evaluated at `at`."""
    return Snapshot(
        objects=raw.objects,
        at=at,
        source=SourceInfo(source_type, raw.location, tuple(raw.warnings), tuple(raw.skipped_files), raw.files_read,
                          tuple(raw.gatherers.describe())),
        logs=LogTable(raw.logs) if logs is None else logs,
        seen=Seen(dict(raw.scopes), dict(raw.reasons), inspected=frozenset(raw.inspected),
                  source=f"the {'dump' if source_type == 'dump' else 'cluster'} {raw.location}",
                  selected={kind: tuple(how) for kind, how in raw.selected.items()}),
        collected_at=raw.collected_at,
        collected=raw.prometheus,
        **metric_fields(answers),
    )


def metric_fields(answers: MetricAnswers | None) -> dict[str, Any]:
    """The Snapshot fields Prometheus' answers fill (none without Prometheus)."""
    if answers is None:
        return {}
    return {"metrics": answers.results, "metric_errors": answers.errors, "prometheus_alerts": answers.firing}


def metrics_from(client: PrometheusClient,
                 queries: Callable[[list[dict[str, Any]]], dict[str, tuple[dict[str, str], timedelta]]]) -> MetricsFn:
    """Ask Prometheus every rule's queries at the evaluation time (the queries made for the source's objects:
    the cluster's own alert definitions where it has them)."""
    return lambda at, objects: fetch(client, queries(objects), at)


def prometheus_only(at: datetime, location: str, answers: MetricAnswers) -> Snapshot:
    """A snapshot with no objects, for a scan that only asks Prometheus."""
    return Snapshot(objects=[], at=at, source=SourceInfo("prometheus", location), **metric_fields(answers))


def metrics_warning(snap: Snapshot) -> str | None:
    """One line when Prometheus answered none of the queries, else None."""
    if snap.metric_errors and not snap.metrics:
        return next(iter(snap.metric_errors.values()))
    return None


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
