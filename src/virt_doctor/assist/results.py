"""The tools' structured results as typed shapes: the MCP server publishes each as its tool's output schema, and the
SDK checks every result against it. Findings, problems and coverage are the report contract's (DESIGN.md)."""


from typing import Any, NotRequired

from typing_extensions import TypedDict  # pydantic reads a TypedDict from typing only from Python 3.12

# functional syntax where a key is a Python keyword ("for")
AlertRow = TypedDict("AlertRow", {"name": str, "severity": str, "for": str, "component": str, "health_impact": str,
                                  "summary": str, "evaluable_from": list[str]})


class AlertList(TypedDict):
    count: int
    alerts: list[AlertRow]


class CauseEntry(TypedDict):
    id: str
    title: str
    recognise: str
    fixes: list[str]


class RunbookStep(TypedDict):
    title: str
    command: str
    id: NotRequired[str]
    risk: NotRequired[str]
    action: NotRequired[dict[str, Any] | None]


Runbook = TypedDict("Runbook", {"name": str, "severity": str, "for": str, "component": str, "health_impact": str,
                                "source": str, "summary": str, "meaning": str, "impact": str,
                                "causes": list[CauseEntry], "diagnosis": list[RunbookStep],
                                "mitigation": list[RunbookStep], "escalation": str, "related": list[str],
                                "versions": dict[str, Any], "levels": dict[str, Any], "runbook_url": str})


class ObjectRef(TypedDict):
    kind: str
    namespace: str
    name: str


class Cause(TypedDict):
    id: str
    title: str
    confidence: str


class Evidence(TypedDict):
    object: str
    path: str | None
    value: Any
    note: str


class Step(TypedDict):
    id: str
    title: str
    command: str
    risk: str
    action: NotRequired[dict[str, Any] | None]


class Finding(TypedDict):
    id: str
    alert: str
    severity: str
    state: str
    since: str | None
    subject: ObjectRef
    labels: dict[str, str]
    summary: str
    cause: Cause
    evidence: list[Evidence]
    remediation: list[Step]
    diagnosis: list[Step]
    runbook: str
    origin: str


class Problem(TypedDict):
    id: str
    title: str
    severity: str
    state: str
    since: str | None
    root: ObjectRef
    cause: str
    causes: list[str]
    findings: list[str]
    why: dict[str, str]
    unchecked: NotRequired[list[str]]
    alerts: NotRequired[list[str]]


class CoverageRow(TypedDict):
    alert: str
    status: str
    reason: str
    definition: NotRequired[str]
    drift: NotRequired[list[str]]


class Skipped(TypedDict):
    alert: str
    reason: str


class ScanResult(TypedDict):
    schema: str
    evaluated_at: str
    source: dict[str, Any]
    findings: list[Finding]
    problems: list[Problem]
    coverage: list[CoverageRow]
    not_evaluated: list[Skipped]
    warnings: list[str]
    crosscheck: NotRequired[list[dict[str, Any]]]


class InstanceVerdict(TypedDict):
    alert: str
    labels: dict[str, str]
    verdict: str  # holds | not-holding | not-evaluated
    why: str
    findings: list[str]


class DiagnoseResult(TypedDict):
    schema: str
    evaluated_at: str
    source: dict[str, Any]
    verdicts: list[InstanceVerdict]
    findings: list[Finding]
    problems: list[Problem]
    not_evaluated: list[Skipped]
    warnings: list[str]


class Preview(TypedDict):
    status: int
    accepted: bool
    diff: list[str]
    error: str


class Plan(TypedDict):
    finding: str
    alert: str
    step: str
    title: str
    risk: str
    action: dict[str, Any]
    request: dict[str, Any]
    kubectl: str
    preview: Preview | None
    refused: list[dict[str, Any]]
    outcome: str | None
    detail: str | None


class FixPlanResult(TypedDict):
    finding: Finding
    live: bool
    plans: list[Plan]
    by_hand: list[Step]
    applied: bool
    how_to_apply: str
    warnings: list[str]
