"""Human formats of a report: a Rich terminal view (plain when piped) and Markdown for tickets."""

from __future__ import annotations

import orjson
from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from virt_doctor.report.layout import print_fitting, prompt
from virt_doctor.report.model import Evidence, Finding, Problem, Report
from virt_doctor.timeutil import human_age, parse_time

SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
RISK_STYLE = {"read-only": "green", "safe": "cyan", "disruptive": "yellow", "destructive": "bold red"}


def short_id(finding: Finding) -> str:
    """The finding's id as the reports print it: enough for `virt-doctor fix ID` (which takes 6 or more)."""
    return finding.id[:12]


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
    problems = f" · {len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}" \
        if report.problems else ""
    return (f"{firing} firing, {pending} pending{problems} · {evaluated} of {len(report.coverage)} alerts evaluated, "
            f"{len(report.coverage) - evaluated} skipped")


def alerts_of(problem: Problem, by_id: dict[str, Finding]) -> str:
    """The alerts a problem set off, each with its count: 'OrphanedVirtualMachineInstances ×6, NoReadyVirtHandler'."""
    counts: dict[str, int] = {}
    for fid in problem.findings:
        if fid in by_id:
            counts[by_id[fid].alert] = counts.get(by_id[fid].alert, 0) + 1
    return ", ".join(f"{alert} ×{n}" if n > 1 else alert for alert, n in counts.items())


def root_ref(problem: Problem) -> str:
    """A problem's root as Kind/namespace/name."""
    return problem.root.ref()


def belongs_to(report: Report, everything: dict[str, Finding], live: bool = False) -> list[str]:
    """Which problem each finding of a diagnosis belongs to, and what else that problem set off."""
    lines = []
    for problem in report.problems:
        mine = [everything[i] for i in problem.findings if i in everything and any(f.id == i for f in report.findings)]
        for finding in mine:
            lines.append(f"\n{finding.alert} {finding.subject.ref()} belongs to problem {problem.id}: {problem.title}"
                         f"\n  why: {problem.why.get(finding.id, '')}\n  the problem set off: "
                         f"{alerts_of(problem, everything)}")
        if live:
            lines.append("  (live, diagnose reads only what this alert's rule reads: `virt-doctor scan` groups it "
                         "with everything else the fault set off)")
    return lines


def grouped(report: Report) -> list[tuple[Problem | None, list[Finding]]]:
    """The findings under their problems, problems in report order (one group of all findings when the report has
    no problems, e.g. read back from an older report)."""
    if not report.problems:
        return [(None, list(report.findings))] if report.findings else []
    by_id = {f.id: f for f in report.findings}
    return [(p, [by_id[i] for i in p.findings if i in by_id]) for p in report.problems]


def render_table(report: Report, console: Console, wide: bool = False, command: str = "scan") -> None:
    """The terminal report: a summary table, then each finding with cause, evidence and fix."""
    source = report.source
    console.print(f"[bold]virt-doctor {command}[/bold] · {source['type']} {escape(str(source['location']))} · "
                  f"evaluated at {report.evaluated_at}")
    console.print(headline(report))
    if (line := collection_line(report)) is not None:
        console.print(escape(line))
    for warning in report.warnings[:10]:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    if len(report.warnings) > 10:
        console.print(f"[yellow]warning:[/yellow] and {len(report.warnings) - 10} more (see -o json)")
    n_skipped = sum(1 for c in report.coverage if c.status != "evaluated")
    if not report.findings and n_skipped == len(report.coverage) and report.coverage:
        console.print(f"[yellow]Nothing was evaluated[/yellow]: {'; '.join(escape(c.alert + ': ' + c.reason) for c in report.coverage[:3])}"
                      + (f"; and {n_skipped - 3} more (-o wide shows why)" if n_skipped > 3 else ""))
    elif not report.findings:
        console.print("[green]No alert condition holds[/green]"
                      + (f" among the {len(report.coverage) - n_skipped} alerts evaluated; {n_skipped} alert"
                         f"{'s' if n_skipped != 1 else ''} not evaluated (-o wide shows why)." if n_skipped else "."))
    elif report.problems:
        console.print()
        table = _problem_table(report)
        if not print_fitting(console, table):
            by_id = {f.id: f for f in report.findings}
            for number, p in enumerate(report.problems, 1):
                console.print(Text.assemble(f"{number:>2} ", (f"{p.severity.upper():<8}", SEVERITY_STYLE.get(p.severity, "")),
                                            "" if p.state == "firing" else " (pending)", f"  {p.title}"))
                console.print(Text(f"     {alerts_of(p, by_id)}", style="dim"))
    else:
        table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
        for column in ("SEVERITY", "STATE", "ALERT", "SUBJECT", "CAUSE"):
            table.add_column(column)
        for f in report.findings:
            table.add_row(Text(f.severity.upper(), SEVERITY_STYLE.get(f.severity, "")), f.state + _age(report, f),
                          f.alert, f.subject.ref(), f.cause.id)
        console.print()
        if not print_fitting(console, table):
            for f in report.findings:
                console.print(Text.assemble((f.severity.upper(), SEVERITY_STYLE.get(f.severity, "")),
                                            f" {f.state}{_age(report, f)}  {f.alert}"))
                console.print(Text(f"    {f.subject.ref()}  {f.cause.id}", style="dim"))
    total = len(report.problems)
    for number, (problem, findings) in enumerate(grouped(report), 1):
        if problem is not None:
            console.print()
            console.print(_problem_heading(problem, number, total, len(findings)))
        for f in findings:
            console.print()
            console.print(_finding_block(report, f, wide, problem.why.get(f.id) if problem is not None else None))
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


def _problem_table(report: Report) -> Table:
    """The problems first: what is broken, where, and which alerts it set off."""
    by_id = {f.id: f for f in report.findings}
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for column in ("#", "SEVERITY", "PROBLEM", "ALERTS IT SET OFF"):
        table.add_column(column)
    for number, p in enumerate(report.problems, 1):
        table.add_row(str(number), Text(p.severity.upper() + ("" if p.state == "firing" else " (pending)"),
                                        SEVERITY_STYLE.get(p.severity, "")),
                      p.title, alerts_of(p, by_id))
    return table


def _problem_heading(problem: Problem, number: int, total: int, count: int) -> Text:
    alerts = f"{count} alert{'s' if count != 1 else ''}"
    return Text.assemble((f"━━ Problem {number}/{total} ", "bold"),
                         (problem.severity.upper(), SEVERITY_STYLE.get(problem.severity, "")),
                         (f" {problem.title}", "bold"), f"  ({alerts}; root {root_ref(problem)}; id {problem.id})")


def _finding_block(report: Report, f: Finding, wide: bool, why: str | None = None) -> Group:
    style = SEVERITY_STYLE.get(f.severity, "")
    lines: list[Text | str] = [
        Text.assemble((f"{f.severity.upper()} ", style), (f.alert, "bold"), f"  {f.state}{_age(report, f)}  ",
                      (f.subject.ref(), "bold"), (f"  [{short_id(f)}]", "dim")),
        Text(f"  {f.summary}"),
        Text.assemble("  cause: ", (f.cause.id, "bold"), f" — {f.cause.title} ({f.cause.confidence} confidence)"),
        Text("  evidence:"),
    ]
    lines += [Text(f"    • {evidence_line(ev)}") for ev in f.evidence]
    lines.append(Text("  remediation (dry run; nothing is applied):"))
    for step in f.remediation:
        how = "" if step.risk == "read-only" else f" (virt-doctor fix {short_id(f)} --step {step.id})" \
            if step.action else " (by hand)"
        lines.append(Text.assemble("    ", (f"[{step.risk}]", RISK_STYLE.get(step.risk, "")), f" {step.title}",
                                   (how, "dim")))
        lines.append(Text(f"      $ {step.command}", style="dim" if step.risk == "read-only" else ""))
    if wide and why:
        lines.append(Text(f"  in this problem: {why}"))
    if wide:
        lines.append(Text("  to confirm:"))
        lines += [Text(f"    {prompt(s.command)} {s.command}   # {s.title}") for s in f.diagnosis]
    if f.origin != "virt-doctor":
        lines.append(Text(f"  origin: {ORIGINS.get(f.origin, f.origin)}, not confirmed by virt-doctor's objects"))
    lines.append(Text(f"  runbook: virt-doctor explain {f.runbook}", style="dim"))
    return Group(*lines)


def render_markdown(report: Report) -> str:
    """The report as Markdown, for pasting into a ticket."""
    out = [f"# virt-doctor scan — {report.source['type']} `{report.source['location']}`", "",
           f"Evaluated at {report.evaluated_at}. {headline(report)}.", "",
           *((f"{line[0].upper()}{line[1:]}.", "") if (line := collection_line(report)) else ())]
    by_id = {f.id: f for f in report.findings}
    n_skipped = sum(1 for c in report.coverage if c.status != "evaluated")
    if not report.findings:
        out += ["No alert condition holds" + (f" among the {len(report.coverage) - n_skipped} alerts evaluated; "
                                              f"{n_skipped} not evaluated (listed below)." if n_skipped else "."), ""]
    elif report.problems:
        out += ["| # | severity | problem | alerts it set off |", "|---|---|---|---|"]
        out += [f"| {n} | {p.severity}{'' if p.state == 'firing' else ' (pending)'} | {p.title} | "
                f"{alerts_of(p, by_id)} |" for n, p in enumerate(report.problems, 1)]
        out.append("")
    else:
        out += ["| severity | state | alert | subject | cause |", "|---|---|---|---|---|"]
        out += [f"| {f.severity} | {f.state}{_age(report, f)} | {f.alert} | `{f.subject.ref()}` | {f.cause.id} |"
                for f in report.findings]
        out.append("")
    for number, (problem, findings) in enumerate(grouped(report), 1):
        if problem is not None:
            out += [f"## Problem {number}: {problem.title}", "",
                    f"**{problem.severity}**, {problem.state}. Root `{root_ref(problem)}`, cause `{problem.cause}`; "
                    f"{len(findings)} alert{'s' if len(findings) != 1 else ''}: {alerts_of(problem, by_id)}. "
                    f"Problem id `{problem.id}`.", ""]
        out += _markdown_findings(report, findings, problem)
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


def _markdown_findings(report: Report, findings: list[Finding], problem: Problem | None) -> list[str]:
    """Each finding of one problem: why it belongs, what holds, the cause, the evidence, the dry-run plan."""
    out: list[str] = []
    for f in findings:
        why = problem.why.get(f.id) if problem is not None else None
        out += [f"### {f.alert} — `{f.subject.ref()}`", "", *((f"*In this problem:* {why}", "") if why else ()),
                f"**{f.severity}**, {f.state}{_age(report, f)}, finding `{short_id(f)}`. "
                f"{f.summary}", "", f"**Cause:** `{f.cause.id}` — {f.cause.title} ({f.cause.confidence} confidence)",
                "", "**Evidence:**", ""]
        out += [f"- {evidence_line(ev)}" for ev in f.evidence]
        out += ["", "**Remediation** (dry run):", ""]
        for step in f.remediation:
            how = f" (`virt-doctor fix {short_id(f)} --step {step.id}`)" if step.action and step.risk != "read-only" \
                else ""
            out += [f"- *{step.risk}* — {step.title}{how}", "", "  ```", f"  {step.command}", "  ```"]
        out.append("")
    return out
