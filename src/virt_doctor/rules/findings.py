"""The one constructor of findings: a rule's detection (or Prometheus' firing alert) joined with the catalog."""

from __future__ import annotations

import hashlib

from virt_doctor.catalog.catalog import CatalogEntry, StepEntry, fill
from virt_doctor.report.actions import build_action, kubectl_of
from virt_doctor.report.model import Cause, Evidence, Finding, Step
from virt_doctor.rules.detection import Detection
from virt_doctor.snapshot import Snapshot
from virt_doctor.snapshot.discover import install_namespaces
from virt_doctor.timeutil import parse_duration, rfc3339

ORIGIN = "virt-doctor"


def build_finding(snap: Snapshot, entry: CatalogEntry, det: Detection, causes: tuple[str, ...] = (),
                  origin: str = ORIGIN, severity: str | None = None, hold_for: str | None = None,
                  state: str | None = None) -> Finding:
    """Join a detection with the catalog: severity, state by `for`, cause title, filled commands.

    `causes`: the causes the rule declared (a detection naming another is a rule bug); `hold_for`: the `for` of the
    definition in force (the cluster's own rule), else the catalog's at the finding's severity.
    """
    if causes and det.cause not in causes:
        raise ValueError(f"{entry.name}: rule emitted undeclared cause {det.cause!r}")
    cause = entry.cause(det.cause)
    params = {**install_namespaces(snap), **{k: v for k, v in det.params.items() if v}}
    hold = parse_duration(hold_for or entry.for_of(severity))
    if state is None:
        state = "pending" if det.since is not None and (snap.at - det.since) < hold else "firing"
    evidence = _unique(det.evidence)
    if det.cause == "unknown" and det.checked:
        evidence = evidence + tuple(Evidence(object="(diagnosis)", note=f"checked: {c}") for c in det.checked)
    if det.unchecked:
        evidence = evidence + tuple(Evidence(object="(diagnosis)", note=f"not checked: {c}")
                                    for c in dict.fromkeys(det.unchecked))
    steps = cause.fixes or tuple(s.id for s in entry.mitigation)
    remediation = tuple(_remedy(snap, entry.mitigation_step(sid), params) for sid in steps)
    diagnosis = tuple(_filled(s, params) for s in entry.diagnosis)
    return Finding(
        id=finding_id(entry.name, det, origin),
        alert=entry.name,
        severity=severity or entry.severity,
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
        origin=origin,
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


def _remedy(snap: Snapshot, step: StepEntry, params: dict[str, str]) -> Step:
    """A mitigation step: the action it is, filled from this finding (its kubectl rendered from it, quoted), or
    the runbook's command for a person when it is no action or a value is not known."""
    action = build_action(step.action, params, snap.get, rfc3339(snap.at) or "") if step.action else None
    if action is None:
        return _filled(step, params)
    return Step(step.id, step.title, kubectl_of(action), step.risk, action)


def finding_id(alert: str, det: Detection, origin: str = ORIGIN) -> str:
    """Stable across runs for the same alert instance: alert, subject and identifying labels.

    A Prometheus alert virt-doctor did not confirm is identified by its labels alone.
    """
    if origin != ORIGIN:
        key = f"{origin}|{alert}|{sorted(det.labels.items())}"
    else:
        labels = ",".join(f"{k}={v}" for k, v in sorted(det.labels.items()))
        key = f"{alert}|{det.subject.ref()}|{labels}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]
