"""Human formats of a report: a Rich terminal view (plain when piped) and Markdown for tickets."""

from __future__ import annotations

import orjson
from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from virt_doctor.report.model import Evidence, Finding, Report
from virt_doctor.timeutil import human_age, parse_time

SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
RISK_STYLE = {"read-only": "green", "safe": "cyan", "disruptive": "yellow", "destructive": "bold red"}


def _age(report: Report, finding: Finding) -> str:
    since = parse_time(finding.since)
    at = parse_time(report.evaluated_at)
    return f" for {human_age(at - since)}" if since and at else ""


def shown_value(value: object) -> str:
    """A field's value as the object spells it: JSON for lists, maps and booleans, text as is."""
    if isinstance(value, dict | list | tuple | bool):
        return orjson.dumps(value, default=str).decode()
    return str(value)


# who reported a finding virt-doctor did not confirm from the objects
ORIGINS = {"prometheus": "Prometheus (its ALERTS now)", "prometheus-at-collection": "the cluster's Prometheus at "
           "collection (the must-gather's rules.json)"}


def collection_line(report: Report) -> str | None:
    """What the report says of the cluster's Prometheus at collection: the file, and what else it had firing."""
    collected = report.source.get("prometheus_at_collection")
    if not collected:
        return None
    others = collected.get("firing_outside_catalog") or {}
    also = "; also firing there, outside the catalog: " + ", ".join(f"{n} ({c})" for n, c in others.items()) \
        if others else ""
    return f"the cluster's Prometheus at collection: {collected['file']}{also}"


def evidence_line(ev: Evidence) -> str:
    """One evidence item as a single readable line."""
    parts = [ev.object]
    if ev.path:
        parts.append(ev.path)
    line = " ".join(parts)
    if ev.value not in (None, ""):
        line += f" = {shown_value(ev.value)}"
    if ev.note:
        line += f"  ({ev.note})" if ev.value not in (None, "") or ev.path else f": {ev.note}"
    return line


def headline(report: Report) -> str:
    firing = sum(1 for f in report.findings if f.state == "firing")
    pending = len(report.findings) - firing
    evaluated = sum(1 for c in report.coverage if c.status == "evaluated")
    return (f"{firing} firing, {pending} pending · {evaluated} of {len(report.coverage)} alerts evaluated, "
            f"{len(report.coverage) - evaluated} skipped")


def render_table(report: Report, console: Console, wide: bool = False) -> None:
    """The terminal report: a summary table, then each finding with cause, evidence and fix."""
    source = report.source
    console.print(f"[bold]virt-doctor scan[/bold] · {source['type']} {escape(str(source['location']))} · "
                  f"evaluated at {report.evaluated_at}")
    console.print(headline(report))
    if (line := collection_line(report)) is not None:
        console.print(escape(line))
    for warning in report.warnings[:10]:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    if len(report.warnings) > 10:
        console.print(f"[yellow]warning:[/yellow] and {len(report.warnings) - 10} more (see -o json)")
    if not report.findings:
        console.print("[green]No alert condition holds.[/green]")
    else:
        table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
        for column in ("SEVERITY", "STATE", "ALERT", "SUBJECT", "CAUSE"):
            table.add_column(column, overflow="fold")  # names are wrapped, never cut: people copy them
        for f in report.findings:
            table.add_row(Text(f.severity.upper(), SEVERITY_STYLE.get(f.severity, "")), f.state + _age(report, f),
                          f.alert, f.subject.ref(), f.cause.id)
        console.print()
        console.print(table)
    for f in report.findings:
        console.print()
        console.print(_finding_block(report, f, wide))
    disagree = [c for c in report.crosscheck if c.agree is False]
    if report.crosscheck:
        console.print()
        agree = sum(1 for c in report.crosscheck if c.agree)
        console.print(f"[bold]Prometheus cross-check[/bold]: agrees on {agree} alerts, disagrees on {len(disagree)}")
        for check in disagree:
            console.print(f"  {check.alert}: virt-doctor {check.virt_doctor}, Prometheus {check.prometheus}")
    drifted = [c for c in report.coverage if c.drift]
    if drifted:
        console.print()
        console.print("[bold]The cluster defines these alerts differently[/bold] (its definition was evaluated)")
        for c in drifted:
            console.print(f"  {c.alert} ({escape(c.definition)}): {escape('; '.join(c.drift))}")
    skipped = [c for c in report.coverage if c.status == "skipped"]
    if wide and skipped:
        console.print()
        console.print("[bold]Not evaluated[/bold]")
        for c in skipped:
            console.print(f"  {c.alert}: {escape(c.reason)}")


def _finding_block(report: Report, f: Finding, wide: bool) -> Group:
    style = SEVERITY_STYLE.get(f.severity, "")
    lines: list[Text | str] = [
        Text.assemble((f"{f.severity.upper()} ", style), (f.alert, "bold"), f"  {f.state}{_age(report, f)}  ",
                      (f.subject.ref(), "bold")),
        Text(f"  {f.summary}"),
        Text.assemble("  cause: ", (f.cause.id, "bold"), f" — {f.cause.title} ({f.cause.confidence} confidence)"),
        Text("  evidence:"),
    ]
    lines += [Text(f"    • {evidence_line(ev)}") for ev in f.evidence]
    lines.append(Text("  remediation (dry run; nothing is applied):"))
    for step in f.remediation:
        how = "" if step.risk == "read-only" else " (virt-doctor fix can do this)" if step.action else " (by hand)"
        lines.append(Text.assemble("    ", (f"[{step.risk}]", RISK_STYLE.get(step.risk, "")), f" {step.title}",
                                   (how, "dim")))
        lines.append(Text(f"      $ {step.command}", style="dim" if step.risk == "read-only" else ""))
    if wide:
        lines.append(Text("  to confirm:"))
        lines += [Text(f"    $ {s.command}   # {s.title}") for s in f.diagnosis]
    if f.origin != "virt-doctor":
        lines.append(Text(f"  origin: {ORIGINS.get(f.origin, f.origin)}, not confirmed by virt-doctor's objects"))
    lines.append(Text(f"  runbook: virt-doctor explain {f.runbook}", style="dim"))
    return Group(*lines)


def render_markdown(report: Report) -> str:
    """The report as Markdown, for pasting into a ticket."""
    out = [f"# virt-doctor scan — {report.source['type']} `{report.source['location']}`", "",
           f"Evaluated at {report.evaluated_at}. {headline(report)}.", "",
           *((f"{line[0].upper()}{line[1:]}.", "") if (line := collection_line(report)) else ())]
    if not report.findings:
        out += ["No alert condition holds.", ""]
    else:
        out += ["| severity | state | alert | subject | cause |", "|---|---|---|---|---|"]
        out += [f"| {f.severity} | {f.state}{_age(report, f)} | {f.alert} | `{f.subject.ref()}` | {f.cause.id} |"
                for f in report.findings]
        out.append("")
    for f in report.findings:
        out += [f"## {f.alert} — `{f.subject.ref()}`", "", f"**{f.severity}**, {f.state}{_age(report, f)}. "
                f"{f.summary}", "", f"**Cause:** `{f.cause.id}` — {f.cause.title} ({f.cause.confidence} confidence)",
                "", "**Evidence:**", ""]
        out += [f"- {evidence_line(ev)}" for ev in f.evidence]
        out += ["", "**Remediation** (dry run):", ""]
        for step in f.remediation:
            out += [f"- *{step.risk}* — {step.title}", "", "  ```", f"  {step.command}", "  ```"]
        out.append("")
    drifted = [c for c in report.coverage if c.drift]
    if drifted:
        out += ["**The cluster defines these alerts differently** (its definition was evaluated):", ""]
        out += [f"- {c.alert} ({c.definition}): {'; '.join(c.drift)}" for c in drifted]
        out.append("")
    skipped = [c for c in report.coverage if c.status == "skipped"]
    if skipped:
        out += ["<details><summary>Alerts not evaluated</summary>", ""]
        out += [f"- {c.alert}: {c.reason}" for c in skipped]
        out += ["", "</details>", ""]
    return "\n".join(out)

