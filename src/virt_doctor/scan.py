"""One whole scan — source → snapshot → rules → report — for the CLI and anything else to call."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from virt_doctor.catalog import load_catalog
from virt_doctor.errors import InputError
from virt_doctor.problems import group_problems
from virt_doctor.report.model import Report
from virt_doctor.rules.crosscheck import alerts_only as only_prometheus_alerts
from virt_doctor.rules.crosscheck import asked_at_collection
from virt_doctor.rules.engine import Verdicts, assemble, evaluate, judge_all
from virt_doctor.rules.reads import metric_queries
from virt_doctor.rules.registry import ALL, REGISTRY
from virt_doctor.snapshot import Snapshot
from virt_doctor.snapshot.snapshot import LogTable
from virt_doctor.sources.dump import RawDump
from virt_doctor.sources.live.client import KubeClient
from virt_doctor.sources.live.connection import connect
from virt_doctor.sources.live.focus import Focus, focus_of
from virt_doctor.sources.live.read import LogLimits, LogReads, LogsToRead, Progress, read_cluster
from virt_doctor.sources.load import (
    load_dump,
    metrics_from,
    metrics_warning,
    paused_gc,
    prometheus_only,
    snapshot_of,
)
from virt_doctor.sources.prometheus import MetricAnswers, PrometheusClient, fetch
from virt_doctor.timeutil import human_age, rfc3339


@dataclass(frozen=True)
class LiveOptions:
    """How to reach a live cluster: kubeconfig and context (None: the current one), and how to show progress."""

    kubeconfig: str | None = None
    context: str | None = None
    workers: int = 4
    progress: Progress | None = None
    client: KubeClient | None = None  # an already-open client (tests, the service)
    configmap_data: bool = False  # ConfigMaps are read as metadata only unless asked
    kinds: frozenset[str] | None = None  # only these kinds (a diagnosis of one alert reads what its rule declares)
    page: int = 500  # objects per LIST page
    consistent: bool = False  # quorum reads from etcd instead of the watch cache (listing.py)
    cached: Callable[[], RawDump] | None = None  # what a WatchCache knows now, instead of listing (serve)
    focus: Focus | None = None  # one alert instance's namespace or node: list only that (diagnose)
    logs: LogLimits = LogLimits()  # how long log reads may hold the scan up


@dataclass(frozen=True)
class ScanRequest:
    """What to scan and how: a dump (or none, with Prometheus alone), the time, the alerts, the namespace."""

    source: str | os.PathLike[str] | None = None
    live: LiveOptions | None = None  # read the cluster instead of a dump
    at: datetime | None = None
    prometheus: PrometheusClient | None = None
    only: Sequence[str] | None = None  # alert names; None: all
    alerts_only: bool = False  # only the alerts Prometheus has firing
    namespace: str | None = None  # only findings whose subject is in this namespace
    asked: Mapping[str, Mapping[str, str]] | None = None  # alert -> labels of the instance asked about


@dataclass(frozen=True)
class ScanResult:
    """The report, and the warnings a person should see beside it (e.g. Prometheus did not answer)."""

    report: Report
    snapshot: Snapshot
    warnings: tuple[str, ...] = ()


def run_scan(request: ScanRequest) -> ScanResult:
    """Read the source, ask Prometheus at the evaluation time, run every rule, filter as asked."""
    if request.source is None and request.prometheus is None and request.live is None:
        raise InputError("give a source (a dump or a live cluster) or a Prometheus URL")
    if request.alerts_only and request.prometheus is None:
        raise InputError("--alerts-only needs --prometheus URL")
    only = [load_catalog().get(name).name for name in request.only] if request.only else None
    client = request.prometheus
    judged: tuple[Verdicts, frozenset[str]] | None = None  # a live scan's first pass, and what to judge again
    if request.live is not None:
        assert request.at is not None, "a live scan is evaluated at a time the caller gives (its clock, not a rule's)"
        live = read_live(request.live, request.at, client, request.namespace or "", only)
        snap, judged = live.snapshot, (live.first, live.again)
    elif request.source is None:
        assert client is not None and request.at is not None
        snap = prometheus_only(request.at, client.url, fetch(client, metric_queries(only), request.at))
    else:
        snap = load_dump(request.source, at=request.at,
                         metrics=metrics_from(client, partial(metric_queries, only)) if client is not None else None)
    warning = metrics_warning(snap) if client is not None else None
    # a person's question first, else the alert instances the dump's own Prometheus had
    snap, report = evaluate_snapshot(snap, only, request.asked or asked_at_collection(snap), judged)
    if request.alerts_only:
        report = only_prometheus_alerts(report)
    if request.namespace:
        report = replace(report, findings=tuple(f for f in report.findings
                                                if f.subject.namespace == request.namespace))
    warnings = ((f"{warning}; the metric alerts are skipped",) if warning else ()) + at_warnings(snap, request)
    return ScanResult(with_problems(snap, report), snap, warnings)


FAR_AFTER = timedelta(days=1)


def at_warnings(snap: Snapshot, request: ScanRequest) -> tuple[str, ...]:
    """--at before a dump was collected, or far after it: the evaluation is of a time the dump does not show."""
    collected = snap.collected_at
    if request.at is None or request.source is None or collected is None:
        return ()
    said = f"--at {rfc3339(request.at)}"
    if request.at < collected - timedelta(minutes=1):
        return (f"{said} is before the dump was collected ({rfc3339(collected)}): it holds what happened later, "
                "judged as if it had already happened",)
    if request.at > collected + FAR_AFTER:
        return (f"{said} is {human_age(request.at - collected)} after the dump was collected "
                f"({rfc3339(collected)}): every condition is judged as if it had held all that time",)
    return ()


def with_problems(snap: Snapshot, report: Report) -> Report:
    """The report with its findings grouped into problems (after any filter: a problem holds what is shown)."""
    return replace(report, problems=group_problems(snap, report.findings))


def evaluate_snapshot(snap: Snapshot, only: Sequence[str] | None = None,
                      asked: Mapping[str, Mapping[str, str]] | None = None,
                      judged: tuple[Verdicts, frozenset[str]] | None = None) -> tuple[Snapshot, Report]:
    """The rules over a snapshot already read (a scan's, or the service's watched view), asked about the given
    alert instances: where their diagnosis starts, and that the cluster raises them. `judged`: a live scan's
    first pass over the same objects, and the alerts to judge again (their rules read logs, now read)."""
    if asked:
        snap = snap.asking(asked)
        return snap, evaluate(snap, only=only)
    if judged is None:
        return snap, evaluate(snap, only=only)
    first, again = judged
    return snap, assemble(snap, {**first, **judge_all(snap, only=[a for a in first if a in again])} if again
                          else first)


@dataclass(frozen=True)
class LiveRead:
    """What a live scan read: the objects (with the logs the rules asked for), the snapshot to judge, and the
    first pass — every alert judged before any log was read — with the alerts whose rules asked for a log: only
    those are judged again, with the logs."""

    raw: RawDump
    snapshot: Snapshot
    first: Verdicts
    again: frozenset[str]


def read_live(options: LiveOptions, at: datetime, prometheus: PrometheusClient | None, namespace: str,
              only: Sequence[str] | None) -> LiveRead:
    """The cluster as a Snapshot: objects in one pass, Prometheus asked the cluster's own definitions, then only
    the logs the rules asked for."""
    def ask(objects: list[dict[str, Any]]) -> MetricAnswers | None:
        return fetch(prometheus, metric_queries(only, objects), at) if prometheus is not None else None

    with paused_gc():  # as for a dump: objects pile up without cycles, the collector would only slow it down
        return _read_live(options, at, namespace, only, ask, final=True)


def read_live_raw(options: LiveOptions, at: datetime, namespace: str = "",
                  only: Sequence[str] | None = None) -> RawDump:
    """What a live scan reads (`collect` writes it as a dump): every kind in one pass, then the logs the rules
    ask for, fetched bounded."""
    return _read_live(options, at, namespace, only, None, final=False).raw


def _read_live(options: LiveOptions, at: datetime, namespace: str, only: Sequence[str] | None,
               ask: Callable[[list[dict[str, Any]]], MetricAnswers | None] | None, final: bool) -> LiveRead:
    """Every kind in one pass, Prometheus' answers for them (`ask`), a first judgement with no logs (which
    records the logs the rules read, and which alerts' rules read them), then those logs, fetched bounded; with
    `final`, the snapshot the logs complete (the first one when no rule read a log)."""
    client = options.client or KubeClient(connect(options.kubeconfig, options.context))
    try:
        raw = options.cached() if options.cached is not None else read_cluster(
            client, namespace, options.progress, options.workers, configmap_data=options.configmap_data,
            kinds=options.kinds, page=options.page, consistent=options.consistent, focus=options.focus)
        answers = ask(raw.objects) if ask is not None else None
        pods = {(o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in raw.objects
                if o.get("kind") == "Pod"}
        nodes = {o["metadata"]["name"]: o for o in raw.objects if o.get("kind") == "Node"}
        reads = LogReads(client, pods, nodes, options.logs, workers=options.workers)
        try:  # each log is read as soon as a rule asks for it, while the first pass goes on
            wanted = LogsToRead(reads.want)
            first_snapshot = snapshot_of(raw, at, answers, "live", logs=wanted)
            first = judge_all(first_snapshot, only=only)
            raw.logs, problems = reads.finish()
        finally:
            reads.close()
        raw.warnings += list(dict.fromkeys(problems))
        # a log read outside a rule (no alert named) would leave the asker unknown: then every alert again
        again = frozenset(first) if "" in wanted.alerts else frozenset(wanted.alerts)
        # the logs join the snapshot already built: its indexes serve the second pass too (time and memory)
        snapshot = first_snapshot.with_logs(LogTable(raw.logs), tuple(raw.warnings)) if final and wanted.wanted \
            else first_snapshot
        return LiveRead(raw, snapshot, first, again)
    finally:
        if options.client is None:
            client.close()


def focus_for(alert: str, labels: dict[str, str]) -> Focus:
    """How far one instance of the alert (named by its labels) bounds what a diagnosis must list."""
    import virt_doctor.rules.all  # noqa: F401  (registers)

    spec = REGISTRY.get(alert)
    if spec is None or not spec.focus:
        return Focus()
    return focus_of(labels, spec.focus, frozenset(read.kind for read in spec.declared if read.scope == ALL))
