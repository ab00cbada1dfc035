"""Run every rule over a snapshot: coverage, crash isolation, pending vs firing, catalog text joined in."""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from virt_doctor.catalog.catalog import Catalog, CatalogEntry, load_catalog
from virt_doctor.report.model import Coverage, Finding, Report
from virt_doctor.rules.crosscheck import answered_at_collection, cross_check
from virt_doctor.rules.definitions import Definition, cluster_versions, definition_of, product_fields
from virt_doctor.rules.detection import CannotEvaluate, Detection, NotSeen
from virt_doctor.rules.findings import build_finding
from virt_doctor.rules.registry import ALL, CLUSTER, REGISTRY, SUBJECT, Registry, RuleSpec
from virt_doctor.snapshot import Snapshot
from virt_doctor.snapshot.discover import install_namespaces
from virt_doctor.snapshot.snapshot import RULE_RUNNING
from virt_doctor.timeutil import rfc3339


@dataclass(frozen=True)
class Verdict:
    """One alert judged, before the report is assembled: its coverage line and its findings."""

    coverage: Coverage
    findings: tuple[Finding, ...] = ()


Verdicts = dict[str, Verdict]  # alert -> its verdict, in the catalog's order


def evaluate(snap: Snapshot, registry: Registry | None = None, catalog: Catalog | None = None,
             only: Iterable[str] | None = None) -> Report:
    """Evaluate every catalog alert: run its rule, or record in coverage why it could not run."""
    catalog = catalog or load_catalog()
    return assemble(snap, judge_all(snap, registry, catalog, only), catalog)


def judge_all(snap: Snapshot, registry: Registry | None = None, catalog: Catalog | None = None,
              only: Iterable[str] | None = None) -> Verdicts:
    """Each catalog alert (or each of `only`) judged over the snapshot; RULE_RUNNING names it while its rule runs
    (a live scan's first pass notes which alerts' rules read a log, to judge only those again with the logs)."""
    registry = registry or _default_registry()
    catalog = catalog or load_catalog()
    wanted = set(only) if only else None
    verdicts: Verdicts = {}
    for entry in catalog:
        if wanted is None or entry.name in wanted:
            running = RULE_RUNNING.set(entry.name)
            try:
                verdicts[entry.name] = judge(snap, entry, registry.get(entry.name), catalog)
            finally:
                RULE_RUNNING.reset(running)
    return verdicts


def judge(snap: Snapshot, entry: CatalogEntry, spec: RuleSpec | None, catalog: Catalog) -> Verdict:
    """One alert: its rule's findings and an evaluated coverage line, or the reason it was skipped."""
    if spec is None:
        return Verdict(Coverage(entry.name, "skipped", "needs Prometheus (--prometheus)" if entry.source == "metrics"
                                else "no rule for this alert yet"))
    definition = definition_of(snap, entry, catalog, spec.threshold)
    if definition.shipped is False:  # evaluated only where the cluster still ships it
        return Verdict(covered(entry.name, definition, "skipped", definition.note))
    if spec.queries and not spec.metrics_optional and snap.metrics is None:
        answered = answered_at_collection(snap, entry)
        if answered is not None:  # a must-gather holds the cluster's own verdict at collection
            return Verdict(covered(entry.name, definition, "evaluated", answered.note), tuple(answered.findings))
        return Verdict(covered(entry.name, definition, "skipped", "needs Prometheus (--prometheus)"))
    if spec.queries and not spec.metrics_optional and entry.name in snap.metric_errors:
        return Verdict(covered(entry.name, definition, "skipped", snap.metric_errors[entry.name]))
    unseen = unseen_needs(snap, spec)
    if unseen:
        return Verdict(covered(entry.name, definition, "skipped", "; ".join(unseen)))
    try:
        results = list(spec.fn(snap))
        produced = tuple(build_finding(snap, entry, d, spec.causes, severity=d.severity or definition.severity,
                                       hold_for=definition.for_of(d.severity)) for d in results
                         if isinstance(d, Detection))
        not_seen = [d for d in results if isinstance(d, NotSeen)]
    except CannotEvaluate as exc:
        return Verdict(covered(entry.name, definition, "skipped", str(exc)))
    except Exception as exc:  # one broken rule never costs the others
        return Verdict(covered(entry.name, definition, "skipped",
                               f"internal error in rule ({_where(exc)}): {type(exc).__name__}: {exc}"))
    reason = "; ".join(part for part in (partly(not_seen), definition.note) if part)
    return Verdict(covered(entry.name, definition, "evaluated", reason), produced)


def assemble(snap: Snapshot, verdicts: Verdicts, catalog: Catalog | None = None) -> Report:
    """The report of these verdicts over this snapshot: findings ordered, the source described, and the cluster's
    own Prometheus compared."""
    catalog = catalog or load_catalog()
    findings = sorted((f for v in verdicts.values() for f in v.findings),
                      key=lambda f: (_SEVERITY_ORDER.get(f.severity, 9), f.state != "firing", f.alert,
                                     f.subject.ref()))
    report = Report(
        evaluated_at=rfc3339(snap.at) or "",
        source={"type": snap.source.type, "location": snap.source.location,
                "collected_at": rfc3339(snap.collected_at), "files_read": snap.source.files_read,
                "skipped_files": list(snap.source.skipped_files), "versions": cluster_versions(snap),
                **product_fields(snap), **({"gatherers": [dict(g) for g in snap.source.gatherers]}
                                           if snap.source.gatherers else {}),
                **collection_fields(snap, catalog)},
        coverage=tuple(v.coverage for v in verdicts.values()),
        findings=tuple(findings),
        warnings=snap.source.warnings + tuple(dict.fromkeys(snap.unindexed)),
    )
    return cross_check(snap, report, catalog)


_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def collection_fields(snap: Snapshot, catalog: Catalog) -> dict[str, Any]:
    """What the report's source says of the cluster's Prometheus at collection: the file read, and the alerts
    outside the catalog it had firing, by name and count."""
    if snap.collected is None:
        return {}
    others = Counter(i.alert for i in snap.collected.alerts if i.state == "firing" and i.alert not in catalog)
    return {"prometheus_at_collection": {"file": snap.collected.where,
                                         "firing_outside_catalog": dict(sorted(others.items()))}}


def covered(alert: str, definition: Definition, status: str, reason: str) -> Coverage:
    """A coverage line that names the definition evaluated and its drift from virt-doctor's."""
    return Coverage(alert, status, reason, definition.where, definition.drift)


def partly(not_seen: list[NotSeen], shown: int = 3) -> str:
    """The coverage reason of an alert evaluated for all subjects but these (empty when none)."""
    if not not_seen:
        return ""
    items = [f"{n.subject.ref()} ({n.reason})" for n in not_seen[:shown]]
    more = f"; and {len(not_seen) - shown} more" if len(not_seen) > shown else ""
    return f"could not judge {len(not_seen)} subject{'s' if len(not_seen) != 1 else ''}: {'; '.join(items)}{more}"


def unseen_needs(snap: Snapshot, spec: RuleSpec) -> list[str]:
    """Why each required read was not seen (empty when all were): the kind and where it was looked for."""
    why: list[str] = []
    namespaces = install_namespaces(snap)
    for read in spec.needs:
        if read.scope == SUBJECT:
            continue  # the rule checks each subject's namespace itself
        if read.scope == CLUSTER:
            if not snap.kind(read.kind) and not snap.seen.listed_anywhere(read.kind):
                why.append(snap.seen.why_unseen(read.kind))
            continue
        if read.scope == ALL:
            if not snap.listed(read.kind):
                why.append(snap.seen.why_unseen(read.kind))
            continue
        namespace = namespaces.get(read.scope)
        if namespace and not snap.listed(read.kind, namespace):  # not installed: the rule says so itself
            why.append(snap.seen.why_unseen(read.kind, namespace))
    return list(dict.fromkeys(why))


def _where(exc: BaseException) -> str:
    """file:line of the innermost virt-doctor frame, so a bug report can point at the code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "virt_doctor" in f.filename]
    last = frames[-1] if frames else None
    return f"{last.filename.rsplit('virt_doctor/', 1)[-1]}:{last.lineno}" if last else "unknown place"


def _default_registry() -> Registry:
    import virt_doctor.rules.all  # noqa: F401  (importing registers)

    return REGISTRY
