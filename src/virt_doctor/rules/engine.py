"""Run every rule over a snapshot: coverage, crash isolation, pending vs firing, catalog text joined in."""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Iterable

from virt_doctor.catalog.catalog import Catalog, CatalogEntry, StepEntry, fill, load_catalog
from virt_doctor.report.model import Cause, Coverage, Evidence, Finding, Report, Step
from virt_doctor.rules.crosscheck import cross_check
from virt_doctor.rules.detection import CannotEvaluate, Detection, NotSeen
from virt_doctor.rules.registry import ALL, CLUSTER, REGISTRY, SUBJECT, Registry, RuleSpec
from virt_doctor.snapshot import Snapshot
from virt_doctor.snapshot.discover import install_namespaces
from virt_doctor.timeutil import parse_duration, rfc3339


def evaluate(snap: Snapshot, registry: Registry | None = None, catalog: Catalog | None = None,
             only: Iterable[str] | None = None) -> Report:
    """Evaluate every catalog alert: run its rule, or record in coverage why it could not run."""
    registry = registry or _default_registry()
    catalog = catalog or load_catalog()
    wanted = set(only) if only else None
    coverage: list[Coverage] = []
    findings: list[Finding] = []
    for entry in catalog:
        if wanted is not None and entry.name not in wanted:
            continue
        spec = registry.get(entry.name)
        if spec is None:
            reason = ("needs Prometheus (--prometheus)" if entry.source == "metrics"
                      else "no rule for this alert yet")
            coverage.append(Coverage(entry.name, "skipped", reason))
            continue
        if spec.queries and not spec.metrics_optional and snap.metrics is None:
            coverage.append(Coverage(entry.name, "skipped", "needs Prometheus (--prometheus)"))
            continue
        if spec.queries and not spec.metrics_optional and entry.name in snap.metric_errors:
            coverage.append(Coverage(entry.name, "skipped", snap.metric_errors[entry.name]))
            continue
        unseen = unseen_needs(snap, spec)
        if unseen:
            coverage.append(Coverage(entry.name, "skipped", "; ".join(unseen)))
            continue
        try:
            results = list(spec.fn(snap))
            produced = [to_finding(snap, entry, spec, d) for d in results if isinstance(d, Detection)]
            not_seen = [d for d in results if isinstance(d, NotSeen)]
        except CannotEvaluate as exc:
            coverage.append(Coverage(entry.name, "skipped", str(exc)))
            continue
        except Exception as exc:  # one broken rule never costs the others
            coverage.append(Coverage(entry.name, "skipped",
                                     f"internal error in rule ({_where(exc)}): {type(exc).__name__}: {exc}"))
            continue
        coverage.append(Coverage(entry.name, "evaluated", partly(not_seen)))
        findings.extend(produced)
    findings.sort(key=lambda f: (_SEVERITY_ORDER.get(f.severity, 9), f.state != "firing", f.alert, f.subject.ref()))
    report = Report(
        evaluated_at=rfc3339(snap.at) or "",
        source={"type": snap.source.type, "location": snap.source.location,
                "collected_at": rfc3339(snap.collected_at), "files_read": snap.source.files_read,
                "skipped_files": list(snap.source.skipped_files)},
        coverage=tuple(coverage),
        findings=tuple(findings),
        warnings=snap.source.warnings + tuple(dict.fromkeys(snap.unindexed)),
    )
    return cross_check(snap, report, catalog)


_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


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


def to_finding(snap: Snapshot, entry: CatalogEntry, spec: RuleSpec, det: Detection) -> Finding:
    """Join a rule's detection with the catalog: severity, state by `for`, cause title, filled commands."""
    if spec.causes and det.cause not in spec.causes:
        raise ValueError(f"{entry.name}: rule emitted undeclared cause {det.cause!r}")
    cause = entry.cause(det.cause)
    params = {**install_namespaces(snap), **{k: v for k, v in det.params.items() if v}}
    hold = parse_duration(entry.for_)
    state = "firing"
    if det.since is not None and (snap.at - det.since) < hold:
        state = "pending"
    evidence = _unique(det.evidence)
    if det.cause == "unknown" and det.checked:
        evidence = evidence + tuple(Evidence(object="(diagnosis)", note=f"checked: {c}") for c in det.checked)
    if det.unchecked:
        evidence = evidence + tuple(Evidence(object="(diagnosis)", note=f"not checked: {c}")
                                    for c in dict.fromkeys(det.unchecked))
    steps = cause.fixes or tuple(s.id for s in entry.mitigation)
    remediation = tuple(_filled(entry.mitigation_step(sid), params) for sid in steps)
    diagnosis = tuple(_filled(s, params) for s in entry.diagnosis)
    return Finding(
        id=finding_id(entry.name, det),
        alert=entry.name,
        severity=entry.severity,
        state=state,
        since=rfc3339(det.since),
        subject=det.subject,
        labels=dict(det.labels),
        summary=det.summary,
        cause=Cause(cause.id, cause.title, _confidence(det)),
        evidence=evidence,
        remediation=remediation,
        runbook=entry.name,
        diagnosis=diagnosis,
    )


_LOWER = {"high": "medium", "medium": "low", "low": "low"}


def _confidence(det: Detection) -> str:
    """An unknown cause is low; a cause named while parts of the diagnosis could not be checked drops a step."""
    if det.cause == "unknown":
        return "low"
    return _LOWER[det.confidence] if det.unchecked else det.confidence


def _unique(evidence: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
    """The same fact found by two checks is shown once (the first note wins)."""
    seen: set[tuple[str, str | None, str]] = set()
    kept = []
    for item in evidence:
        key = (item.object, item.path, str(item.value))
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return tuple(kept)


def _filled(step: StepEntry, params: dict[str, str]) -> Step:
    return Step(step.id, step.title, fill(step.command, params), step.risk)


def finding_id(alert: str, det: Detection) -> str:
    """Stable across runs for the same alert instance: alert, subject and identifying labels."""
    labels = ",".join(f"{k}={v}" for k, v in sorted(det.labels.items()))
    digest = hashlib.sha256(f"{alert}|{det.subject.ref()}|{labels}".encode()).hexdigest()
    return digest[:16]
