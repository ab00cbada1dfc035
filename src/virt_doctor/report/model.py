"""Small frozen result types, one to one with the report contract in DESIGN.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from virt_doctor.errors import InputError
from virt_doctor.report.actions import Action

SCHEMA = "virt-doctor/report/v1"


@dataclass(frozen=True)
class Subject:
    """The object an alert instance is about."""

    kind: str
    namespace: str
    name: str

    def ref(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Evidence:
    """One observed fact: which object, which field, what value, and why it matters."""

    object: str
    path: str | None = None
    value: Any = None
    note: str = ""


@dataclass(frozen=True)
class Cause:
    """The runbook cause the diagnosis names, by its catalog id."""

    id: str
    title: str
    confidence: str  # high | medium | low


@dataclass(frozen=True)
class Step:
    """A concrete command: a diagnosis step to confirm, or a remediation to apply."""

    id: str
    title: str
    command: str
    risk: str = "read-only"  # read-only | safe | disruptive | destructive
    action: Action | None = None  # the API operation it is, when it can be automated (report/actions.py)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "command": self.command, "risk": self.risk,
                "action": self.action.to_dict() if self.action is not None else None}


@dataclass(frozen=True)
class Finding:
    """One alert instance: detected, diagnosed, with a plan."""

    id: str
    alert: str
    severity: str
    state: str  # firing | pending
    since: str | None
    subject: Subject
    labels: dict[str, str]
    summary: str
    cause: Cause
    evidence: tuple[Evidence, ...]
    remediation: tuple[Step, ...]
    runbook: str
    diagnosis: tuple[Step, ...] = ()
    origin: str = "virt-doctor"


@dataclass(frozen=True)
class Coverage:
    """Whether an alert was evaluated, or why not."""

    alert: str
    status: str  # evaluated | skipped
    reason: str = ""
    definition: str = ""  # whose definition was evaluated: the cluster's PrometheusRule, or virt-doctor's
    drift: tuple[str, ...] = ()  # how the cluster's rule differs from virt-doctor's (threshold, for, severity)


@dataclass(frozen=True)
class CrossCheck:
    """For one catalog alert: what virt-doctor found, what Prometheus has, and whether they agree."""

    alert: str
    virt_doctor: str  # firing | pending | none | skipped
    prometheus: str  # firing | pending | none
    agree: bool | None  # None when virt-doctor could not evaluate the alert


@dataclass(frozen=True)
class Problem:
    """One broken thing: the findings its fault explains, rooted at the object where the fault lives."""

    id: str
    title: str
    severity: str  # the highest of its findings
    state: str  # firing when any of its findings fires, else pending
    root: Subject
    cause: str  # the cause the root's own finding names
    findings: tuple[str, ...]  # finding ids, the root's own first
    why: dict[str, str]  # finding id -> why it belongs
    causes: tuple[str, ...] = ()  # every cause its findings name (several faults on one object)
    since: str | None = None  # the earliest of its findings
    unchecked: tuple[str, ...] = ()  # links that could not be checked, and why


@dataclass(frozen=True)
class Report:
    """Everything one scan found, in the contract's shape."""

    evaluated_at: str
    source: dict[str, Any]
    coverage: tuple[Coverage, ...]
    findings: tuple[Finding, ...]
    warnings: tuple[str, ...] = field(default=())
    crosscheck: tuple[CrossCheck, ...] = field(default=())
    problems: tuple[Problem, ...] = field(default=())

    @property
    def firing(self) -> list[Finding]:
        return [f for f in self.findings if f.state == "firing"]


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """A finding as the JSON contract spells it."""
    return {
        "id": finding.id,
        "alert": finding.alert,
        "severity": finding.severity,
        "state": finding.state,
        "since": finding.since,
        "subject": {"kind": finding.subject.kind, "namespace": finding.subject.namespace,
                    "name": finding.subject.name},
        "labels": dict(finding.labels),
        "summary": finding.summary,
        "cause": {"id": finding.cause.id, "title": finding.cause.title, "confidence": finding.cause.confidence},
        "evidence": [{"object": e.object, "path": e.path, "value": e.value, "note": e.note}
                     for e in finding.evidence],
        "remediation": [s.to_dict() for s in finding.remediation],
        "diagnosis": [{"id": s.id, "title": s.title, "command": s.command, "risk": s.risk} for s in finding.diagnosis],
        "runbook": finding.runbook,
        "origin": finding.origin,
    }


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """A problem as the JSON contract spells it."""
    return {"id": problem.id, "title": problem.title, "severity": problem.severity, "state": problem.state,
            "since": problem.since,
            "root": {"kind": problem.root.kind, "namespace": problem.root.namespace, "name": problem.root.name},
            "cause": problem.cause, "causes": list(problem.causes), "findings": list(problem.findings),
            "why": dict(problem.why), **({"unchecked": list(problem.unchecked)} if problem.unchecked else {})}


def report_to_dict(report: Report) -> dict[str, Any]:
    """The whole report as the JSON contract spells it."""
    return {
        "schema": SCHEMA,
        "evaluated_at": report.evaluated_at,
        "source": report.source,
        "findings": [finding_to_dict(f) for f in report.findings],  # what a reader wants first, before coverage
        "problems": [problem_to_dict(p) for p in report.problems],
        "coverage": [{"alert": c.alert, "status": c.status, "reason": c.reason,
                      **({"definition": c.definition} if c.definition else {}),
                      **({"drift": list(c.drift)} if c.drift else {})} for c in report.coverage],
        "warnings": list(report.warnings),
        **({"crosscheck": [{"alert": c.alert, "virt_doctor": c.virt_doctor, "prometheus": c.prometheus,
                            "agree": c.agree} for c in report.crosscheck]} if report.crosscheck else {}),
    }


class ReportFormatError(InputError, ValueError):
    """A report document that does not follow the contract; the message names the field."""


def _need(data: Any, key: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise ReportFormatError(f"{where}.{key}: missing")
    value = data[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ReportFormatError(f"{where}.{key}: expected {names}, got {type(value).__name__}")
    return value


def _step(data: Any, where: str) -> Step:
    action = data.get("action") if isinstance(data, dict) else None
    if action is not None and not isinstance(action, dict):
        raise ReportFormatError(f"{where}.action: expected dict, got {type(action).__name__}")
    try:
        parsed = Action.from_dict(action) if action else None
    except (KeyError, TypeError) as exc:
        raise ReportFormatError(f"{where}.action: missing {exc}") from None
    return Step(str(data.get("id", "")) if isinstance(data, dict) else "", _need(data, "title", where),
                _need(data, "command", where), str(data.get("risk", "read-only")), parsed)


def finding_from_dict(data: Any, where: str = "finding") -> Finding:
    """A finding read back from its JSON form (the inverse of finding_to_dict)."""
    subject, cause = _need(data, "subject", where, dict), _need(data, "cause", where, dict)
    return Finding(
        id=_need(data, "id", where), alert=_need(data, "alert", where), severity=_need(data, "severity", where),
        state=_need(data, "state", where), since=_need(data, "since", where, (str, type(None))),
        subject=Subject(_need(subject, "kind", f"{where}.subject"), _need(subject, "namespace", f"{where}.subject"),
                        _need(subject, "name", f"{where}.subject")),
        labels={str(k): str(v) for k, v in _need(data, "labels", where, dict).items()},
        summary=_need(data, "summary", where),
        cause=Cause(_need(cause, "id", f"{where}.cause"), _need(cause, "title", f"{where}.cause"),
                    _need(cause, "confidence", f"{where}.cause")),
        evidence=tuple(Evidence(_need(e, "object", f"{where}.evidence[{i}]"), e.get("path"), e.get("value"),
                                str(e.get("note") or ""))
                       for i, e in enumerate(_need(data, "evidence", where, list))),
        remediation=tuple(_step(s, f"{where}.remediation[{i}]")
                          for i, s in enumerate(_need(data, "remediation", where, list))),
        runbook=_need(data, "runbook", where),
        diagnosis=tuple(_step(s, f"{where}.diagnosis[{i}]") for i, s in enumerate(data.get("diagnosis") or [])),
        origin=str(data.get("origin") or "virt-doctor"),
    )


def problem_from_dict(data: Any, where: str = "problem") -> Problem:
    """A problem read back from its JSON form (the inverse of problem_to_dict)."""
    root = _need(data, "root", where, dict)
    return Problem(
        id=_need(data, "id", where), title=_need(data, "title", where), severity=_need(data, "severity", where),
        state=str(data.get("state") or "firing"),
        root=Subject(_need(root, "kind", f"{where}.root"), _need(root, "namespace", f"{where}.root"),
                     _need(root, "name", f"{where}.root")),
        cause=_need(data, "cause", where),
        findings=tuple(str(f) for f in _need(data, "findings", where, list)),
        why={str(k): str(v) for k, v in _need(data, "why", where, dict).items()},
        causes=tuple(str(c) for c in data.get("causes") or ()),
        since=data.get("since") if isinstance(data.get("since"), str) else None,
        unchecked=tuple(str(u) for u in data.get("unchecked") or ()),
    )


def report_from_dict(data: Any) -> Report:
    """A report read back from its JSON form (e.g. from a store); ReportFormatError names a bad field."""
    schema = _need(data, "schema", "report")
    if schema != SCHEMA:
        raise ReportFormatError(f"report.schema: {schema!r} is not {SCHEMA!r}")
    return Report(
        evaluated_at=_need(data, "evaluated_at", "report"),
        source=_need(data, "source", "report", dict),
        coverage=tuple(Coverage(_need(c, "alert", f"report.coverage[{i}]"), _need(c, "status", f"report.coverage[{i}]"),
                                str(c.get("reason") or ""), str(c.get("definition") or ""),
                                tuple(str(d) for d in c.get("drift") or ()))
                       for i, c in enumerate(_need(data, "coverage", "report", list))),
        findings=tuple(finding_from_dict(f, f"report.findings[{i}]")
                       for i, f in enumerate(_need(data, "findings", "report", list))),
        warnings=tuple(str(w) for w in data.get("warnings") or []),
        crosscheck=tuple(CrossCheck(_need(c, "alert", f"report.crosscheck[{i}]"), str(c.get("virt_doctor")),
                                    str(c.get("prometheus")), c.get("agree"))
                         for i, c in enumerate(data.get("crosscheck") or [])),
        problems=tuple(problem_from_dict(p, f"report.problems[{i}]") for i, p in enumerate(data.get("problems") or [])),
    )
