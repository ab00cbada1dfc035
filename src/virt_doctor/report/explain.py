"""The catalog as people read it: `list` and `explain` in a terminal (Rich) or as Markdown."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from virt_doctor.catalog.catalog import Catalog, CatalogEntry
from virt_doctor.report.layout import print_fitting, prompt

SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def list_rows(catalog: Catalog) -> list[dict[str, Any]]:
    """The `list -o json` contract: name, severity, component, summary, and the releases that ship it (versions)."""
    return [{"name": e.name, "severity": e.severity, "component": e.component, "summary": e.summary,
             "versions": dict(e.versions)} for e in catalog]


def render_list(catalog: Catalog, console: Console, wide: bool = False) -> None:
    """The catalog as a table, or — where the table would split a name — one alert per block."""
    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    for column in ("NAME", "SEVERITY", "FOR", "COMPONENT", *(("SOURCE", "VERSIONS") if wide else ()), "SUMMARY"):
        table.add_column(column)
    for e in catalog:
        cells = (e.name, e.severity, e.for_, e.component, *((e.source, e.version_note() or "-") if wide else ()),
                 e.summary)  # Text, not markup: nothing to escape, nothing for Rich to parse twice a cell
        table.add_row(*(Text(cell, SEVERITY_STYLE[e.severity] if i == 1 else "") for i, cell in enumerate(cells)))
    if print_fitting(console, table):
        return
    blocks = Text()  # one Text printed once: a print per line costs more than the rest of `list` together
    for e in catalog:
        blocks.append(e.name, style="bold")
        blocks.append("  ")
        blocks.append(e.severity, style=SEVERITY_STYLE[e.severity])
        blocks.append(f"  for {e.for_}  · {e.component}" + (f"  · {e.source}" if wide else "") + "\n")
        note = e.version_note() if wide else ""
        blocks.append(f"    {e.summary}\n" + (f"    {note}\n" if note else ""), style="dim")
    console.print(blocks, end="")


def list_markdown(catalog: Catalog) -> str:
    rows = ["| alert | severity | for | component | summary |", "|---|---|---|---|---|"]
    rows += [f"| {e.name} | {e.severity} | {e.for_} | {e.component} | {e.summary} |" for e in catalog]
    return "\n".join(rows) + "\n"


def render_entry(entry: CatalogEntry, console: Console) -> None:
    style = SEVERITY_STYLE[entry.severity]
    also = "".join(f"  (also {sev} for {hold})" for sev, hold in entry.levels)
    console.print(f"[bold]{entry.name}[/bold]  [{style}]{entry.severity}[/]  for {entry.for_}{also}  · {entry.component}")
    console.print(escape(entry.summary))
    if entry.version_note():
        console.print(f"[dim]Versions: {escape(entry.version_note())}[/dim]")
    for title, body in (("Meaning", entry.meaning), ("Impact", entry.impact)):
        console.print(f"\n[bold]{title}[/bold]")
        console.print(escape(body))
    console.print("\n[bold]Causes[/bold]")
    for cause in entry.causes:
        console.print(f"  • [bold]{cause.id}[/bold] — {escape(cause.title)}")
        console.print(f"    {escape(cause.recognise)}", style="dim")
    console.print("\n[bold]Diagnosis[/bold]")
    for i, step in enumerate(entry.diagnosis, 1):
        console.print(f"  {i}. {escape(step.title)}")
        console.print(f"     {prompt(step.command)} {escape(step.command)}", style="cyan", soft_wrap=True)
    console.print("\n[bold]Mitigation[/bold]")
    for step in entry.mitigation:
        console.print(f"  • {escape('[' + step.risk + ']')} {escape(step.title)}")
        console.print(f"     {prompt(step.command)} {escape(step.command)}", style="cyan", soft_wrap=True)
    console.print("\n[bold]Escalation[/bold]")
    console.print(escape(entry.escalation))
    console.print(f"\n[bold]Related[/bold]: {', '.join(entry.related)}")


def entry_markdown(entry: CatalogEntry) -> str:
    also = "".join(f" (also {sev} for {hold})" for sev, hold in entry.levels)
    out = [f"# {entry.name}", "", f"**Severity:** {entry.severity} · **For:** {entry.for_}{also} · "
           f"**Component:** {entry.component}" + (f" · **Versions:** {entry.version_note()}" if entry.version_note()
                                                  else ""), "", entry.summary, "", "## Meaning", "", entry.meaning, "",
           "## Impact", "", entry.impact, "", "## Causes", ""]
    out += [f"- **`{c.id}`** — {c.title}. {c.recognise}" for c in entry.causes]
    out += ["", "## Diagnosis", ""]
    for i, step in enumerate(entry.diagnosis, 1):
        out += [f"{i}. {step.title}", "", "   ```bash", f"   {step.command}", "   ```", ""]
    out += ["## Mitigation", ""]
    for step in entry.mitigation:
        out += [f"- *{step.risk}* — {step.title}", "", "  ```bash", f"  {step.command}", "  ```", ""]
    out += ["## Escalation", "", entry.escalation, "", "## Related alerts", ""]
    out += [f"- {name}" for name in entry.related]
    return "\n".join(out) + "\n"
