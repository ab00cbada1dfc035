"""Small frozen result types, one to one with the report contract in DESIGN.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class CrossCheck:
    """For one catalog alert: what virt-doctor found, what Prometheus has, and whether they agree."""

    alert: str
    virt_doctor: str  # firing | pending | none | skipped
    prometheus: str  # firing | pending | none
    agree: bool | None  # None when virt-doctor could not evaluate the alert


@dataclass(frozen=True)
class Report:
    """Everything one scan found, in the contract's shape."""

    evaluated_at: str
    source: dict[str, Any]
    coverage: tuple[Coverage, ...]
    findings: tuple[Finding, ...]
    warnings: tuple[str, ...] = field(default=())
    crosscheck: tuple[CrossCheck, ...] = field(default=())

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
        "remediation": [{"id": s.id, "title": s.title, "command": s.command, "risk": s.risk}
                        for s in finding.remediation],
        "diagnosis": [{"title": s.title, "command": s.command} for s in finding.diagnosis],
        "runbook": finding.runbook,
        "origin": finding.origin,
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """The whole report as the JSON contract spells it."""
    return {
        "schema": SCHEMA,
        "evaluated_at": report.evaluated_at,
        "source": report.source,
        "coverage": [{"alert": c.alert, "status": c.status, "reason": c.reason} for c in report.coverage],
        "findings": [finding_to_dict(f) for f in report.findings],
        "warnings": list(report.warnings),
        **({"crosscheck": [{"alert": c.alert, "virt_doctor": c.virt_doctor, "prometheus": c.prometheus,
                            "agree": c.agree} for c in report.crosscheck]} if report.crosscheck else {}),
    }
