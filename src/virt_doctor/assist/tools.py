"""The assistant tools as plain functions: arguments in, an Answer out — the structured result (the report
contract's own shapes, results.py) and a short text for clients that show only text. server.py exposes them over
MCP; they read through a Workspace, so `virt-doctor mcp` and `serve`'s /mcp answer alike."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from virt_doctor.assist.workspace import Workspace
from virt_doctor.catalog import load_catalog
from virt_doctor.diagnosis import Instance, instances_from_payload, verdicts
from virt_doctor.errors import InputError
from virt_doctor.report.explain import entry_markdown
from virt_doctor.report.model import Finding, Report, finding_to_dict, problem_to_dict, report_to_dict
from virt_doctor.report.text import evidence_line, headline
from virt_doctor.sources.live.read import Progress
from virt_doctor.timeutil import parse_user_time

SHOWN = 25  # findings listed in a text summary; the structured result has them all
HOW_TO_APPLY = ("virt-doctor never applies a plan from an assistant: a person runs `virt-doctor fix {id} --apply` "
                "(guarded, audited), or serve's remediation policy does")


@dataclass(frozen=True)
class Answer:
    """A tool's result: `data` (the structured content, in the schema its tool publishes) and `text`."""

    data: dict[str, Any]
    text: str


def list_alerts() -> Answer:
    """The catalog, one row an alert, with what each can be evaluated from."""
    import virt_doctor.rules.all  # noqa: F401  (registers)
    from virt_doctor.rules.registry import REGISTRY

    rows = []
    for entry in load_catalog():
        spec = REGISTRY.get(entry.name)
        objects = spec is not None and (not spec.queries or spec.metrics_optional)
        prometheus = entry.source != "objects" or (spec is not None and bool(spec.queries))
        rows.append({"name": entry.name, "severity": entry.severity, "for": entry.for_, "component": entry.component,
                     "health_impact": entry.health_impact, "summary": entry.summary,
                     "evaluable_from": [w for w, yes in (("objects", objects), ("prometheus", prometheus)) if yes]})
    text = "\n".join(f"{r['name']} ({r['severity']}, {r['component']}; {' + '.join(r['evaluable_from'])}): "
                     f"{r['summary']}" for r in rows)
    return Answer({"count": len(rows), "alerts": rows}, f"{len(rows)} alerts in virt-doctor's catalog:\n{text}")


def explain_alert(alert: str) -> Answer:
    """One alert's runbook: meaning, impact, causes, diagnosis and mitigation."""
    entry = load_catalog().get(alert)
    return Answer(entry.to_dict(), entry_markdown(entry))


def runbook_markdown(alert: str) -> str:
    """The runbook resource's text."""
    return entry_markdown(load_catalog().get(alert))


def scan(workspace: Workspace, source: str | None = None, namespace: str | None = None,
         alerts: Sequence[str] | None = None, at: str | None = None, progress: Progress | None = None) -> Answer:
    """Every alert (or the named ones) detected and diagnosed; what could not be evaluated, and why."""
    result = workspace.scan(source or None, namespace or None, list(alerts or ()) or None, _when(at), progress)
    report = result.report
    data = {**report_to_dict(report), "warnings": [*report.warnings, *result.warnings],
            "not_evaluated": not_evaluated(report)}
    lines = [f"virt-doctor scan · {report.source['type']} {report.source.get('location', '')} · evaluated at "
             f"{report.evaluated_at}", headline(report), *_findings_text(report), *_skipped_text(report),
             *(f"warning: {w}" for w in data["warnings"])]
    return Answer(data, "\n".join(lines))


def diagnose_alert(workspace: Workspace, alert: str | None = None, labels: dict[str, str] | None = None,
                   alert_json: Any = None, at: str | None = None, progress: Progress | None = None) -> Answer:
    """One alert instance (or a notification's alerts) diagnosed: whether it holds, the cause and evidence."""
    instances = _instances(alert, labels, alert_json)
    diagnosis = workspace.diagnose(instances, _when(at), progress)
    report = diagnosis.report
    said = verdicts(diagnosis)
    everything = {f.id: f for f in diagnosis.everything.findings}
    data = {"schema": report_to_dict(report)["schema"], "evaluated_at": report.evaluated_at,
            "source": report.source, "verdicts": said,
            "findings": [finding_to_dict(f) for f in report.findings],
            "problems": [{**problem_to_dict(p), "alerts": _problem_alerts(p.findings, everything)}
                         for p in report.problems],
            "not_evaluated": not_evaluated(report), "warnings": list(diagnosis.warnings)}
    lines = []
    by_id = {f.id: f for f in report.findings}
    for verdict in said:
        named = f"{verdict['alert']} {_labels_text(verdict['labels'])}".rstrip()
        if verdict["verdict"] != "holds":
            lines.append(f"{named}: {'not evaluated: ' if verdict['verdict'] == 'not-evaluated' else ''}"
                         f"{verdict['why']}")
        for finding_id in verdict["findings"]:
            lines += _finding_text(by_id[finding_id], detail=True)
    for problem in report.problems:
        lines.append(f"belongs to problem {problem.id}: {problem.title} (set off "
                     f"{', '.join(_problem_alerts(problem.findings, everything))})")
    if diagnosis.live:
        lines.append("(live, only what these alerts' rules read was listed: `scan` groups them with everything else)")
    lines += [f"warning: {w}" for w in diagnosis.warnings]
    return Answer(data, "\n".join(lines))


def fix_plan(workspace: Workspace, finding: str | None = None, alert: str | None = None,
             labels: dict[str, str] | None = None, steps: Sequence[str] | None = None,
             at: str | None = None) -> Answer:
    """A finding's mitigation as a plan (live: each action previewed by a server-side dry run); never applied."""
    if not finding and not alert:
        raise InputError("name the finding: its id (from scan), or alert and labels")
    answer = workspace.fix(finding or None, alert or None, dict(labels or {}), list(steps or ()), _when(at))
    chosen = answer.finding
    plans = [p.to_dict() for p in answer.plans]
    manual = [s.to_dict() for s in chosen.remediation if s.action is None and s.risk != "read-only"]
    how = HOW_TO_APPLY.format(id=chosen.id) if plans else "nothing virt-doctor can apply: the steps are by hand"
    data = {"finding": finding_to_dict(chosen), "live": answer.live, "plans": plans, "by_hand": manual,
            "applied": False, "how_to_apply": how, "warnings": list(answer.warnings)}
    lines = [*_finding_text(chosen, detail=False)]
    for plan in answer.plans:
        request = plan.request
        lines.append(f"  [{plan.step.risk}] {plan.step.title} (step {plan.step.id}): {request.method} {request.path}")
        if plan.preview is None:
            lines.append("    not previewed (from a dump: preview needs the live cluster)")
        elif plan.preview.accepted:
            lines += ["    dry run accepted; it would change:", *(f"      {d}" for d in plan.preview.diff or ["(nothing)"])]
        else:
            lines.append(f"    dry run refused (HTTP {plan.preview.status}): {plan.preview.error}")
    if not answer.plans:
        lines.append("  no step virt-doctor can carry out" + (": by hand —" if manual else ""))
    lines += [f"    $ {s['command']}" for s in manual if not answer.plans]
    lines += [*([how] if plans else []), *(f"warning: {w}" for w in answer.warnings)]
    return Answer(data, "\n".join(lines))


def not_evaluated(report: Report) -> list[dict[str, str]]:
    """The alerts that could not be evaluated, each with why: never to be read as healthy."""
    return [{"alert": c.alert, "reason": c.reason} for c in report.coverage if c.status != "evaluated"]


def _when(at: str | None) -> datetime | None:
    return parse_user_time(at) if at else None


def _instances(alert: str | None, labels: dict[str, str] | None, alert_json: Any) -> list[Instance]:
    """The instances asked about: an alert and its labels, or alert_json (one alert, a list, a webhook payload)."""
    if alert_json is not None:
        if alert or labels:
            raise InputError("give alert and labels, or alert_json, not both")
        if isinstance(alert_json, str):
            try:
                alert_json = orjson.loads(alert_json)
            except orjson.JSONDecodeError as exc:
                raise InputError(f"alert_json: not JSON ({exc})") from None
        return instances_from_payload(alert_json, "alert_json")
    if not alert:
        raise InputError("name the alert (alert and labels), or give alert_json")
    return [(alert, {str(k): str(v) for k, v in (labels or {}).items()})]


def _finding_text(finding: Finding, detail: bool) -> list[str]:
    lines = [f"[{finding.severity} {finding.state}] {finding.alert} {finding.subject.ref()} — cause: "
             f"{finding.cause.title} ({finding.cause.confidence}) [finding {finding.id}]"]
    if detail:
        lines += [f"  evidence: {evidence_line(e)}" for e in finding.evidence[:5]]
        lines += [f"  fix ({s.risk}): {s.command}" for s in finding.remediation if s.risk != "read-only"][:3]
    return lines


def _findings_text(report: Report) -> list[str]:
    by_id = {f.id: f for f in report.findings}
    lines: list[str] = []
    shown = 0
    for problem in report.problems or ():
        lines.append(f"problem {problem.id} ({problem.severity}): {problem.title} — {len(problem.findings)} "
                     f"finding{'s' if len(problem.findings) != 1 else ''}")
        for finding_id in problem.findings:
            if finding_id in by_id and shown < SHOWN:
                lines += ["  " + line for line in _finding_text(by_id[finding_id], detail=False)]
                shown += 1
    if not report.problems:
        for finding in report.findings[:SHOWN]:
            lines += _finding_text(finding, detail=False)
        shown = min(len(report.findings), SHOWN)
    if len(report.findings) > shown:
        lines.append(f"… {len(report.findings) - shown} more findings in the structured result")
    return lines


def _skipped_text(report: Report) -> list[str]:
    reasons = Counter(c.reason for c in report.coverage if c.status != "evaluated")
    if not reasons:
        return []
    return [f"not evaluated: {sum(reasons.values())} alerts — " + "; ".join(
        f"{reason} ({count})" for reason, count in reasons.most_common(5))]


def _labels_text(labels: dict[str, str]) -> str:
    shown = {k: v for k, v in labels.items() if k != "alertname"}
    return "{" + ", ".join(f"{k}={v}" for k, v in shown.items()) + "}" if shown else ""


def _problem_alerts(ids: Sequence[str], everything: dict[str, Finding]) -> list[str]:
    return list(dict.fromkeys(everything[i].alert for i in ids if i in everything))
