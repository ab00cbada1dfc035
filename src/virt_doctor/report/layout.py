"""How a table is laid out in a terminal: whole names, or blocks (light: `list` and `explain` start with it)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text


def cell_texts(table: Table) -> list[list[Text]]:
    """Each column's header and cells as Text (markup read once), the header in the table's header style."""
    def text(cell: object, style: str = "") -> Text:
        out = cell.copy() if isinstance(cell, Text) else Text.from_markup(str(cell))
        if style:
            out.stylize(style)
        return out

    return [[text(c.header, str(table.header_style or "")), *(text(cell) for cell in c.cells)] for c in table.columns]


def fits(console: Console, columns: list[list[Text]]) -> bool:
    """Whether the table shows every cell's longest word whole at this width (else the caller prints blocks:
    a name split over two lines, or cut, cannot be copied)."""
    need = sum(max(max((len(word) for word in cell.plain.split()), default=0) for cell in column)
               for column in columns)
    return need + 2 * (len(columns) - 1) <= console.width


def print_fitting(console: Console, table: Table) -> bool:
    """Print the table if it `fits`, and say whether it did (else the caller prints blocks). A table whose every
    row fits on one line is laid out here, as Rich would lay it out, in a tenth of Rich's time (`list` at 160
    columns is a table of every alert, and start-up is measured); one that must wrap cells goes to Rich."""
    columns = cell_texts(table)
    if not fits(console, columns):
        return False
    lines = one_line_rows(console, columns)
    if lines is None:
        console.print(table)
    else:
        console.print(lines, end="")
    return True


def one_line_rows(console: Console, columns: list[list[Text]]) -> Text | None:
    """The borderless table (cells padded to their column's width, two spaces between columns) as one Text, or
    None when its widest row would not fit on one line at this width."""
    widths = [max(cell.cell_len for cell in column) for column in columns]
    if sum(widths) + 2 * (len(widths) - 1) > console.width:
        return None
    out = Text()
    for row in zip(*columns, strict=True):
        for i, (cell, width) in enumerate(zip(row, widths, strict=True)):
            out.append_text(cell)
            out.append(" " * (width - cell.cell_len + (2 if i < len(widths) - 1 else 0)))
        out.append("\n")
    return out


SHELL = frozenset({"kubectl", "oc", "virtctl", "ssh", "curl", "jq", "grep"})  # what a runbook runs in a shell


def prompt(command: str) -> str:
    """'$' for a shell command; 'PromQL:' for a query to paste into Prometheus (never to run in a shell)."""
    first = command.split(maxsplit=1)[0] if command.strip() else ""
    return "$" if first in SHELL else "PromQL:"
