"""How a table is laid out in a terminal: whole names, or blocks (light: `list` and `explain` start with it)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text


def fits(console: Console, table: Table) -> bool:
    """Whether the table shows every cell's longest word whole at this width (else the caller prints blocks:
    a name split over two lines, or cut, cannot be copied)."""
    def longest(cell: object) -> int:
        plain = cell.plain if isinstance(cell, Text) else Text.from_markup(str(cell)).plain
        return max((len(word) for word in plain.split()), default=0)

    columns = table.columns
    need = sum(max([longest(c.header), *(longest(cell) for cell in c.cells)]) for c in columns)
    return need + 2 * (len(columns) - 1) <= console.width


SHELL = frozenset({"kubectl", "oc", "virtctl", "ssh", "curl", "jq", "grep"})  # what a runbook runs in a shell


def prompt(command: str) -> str:
    """'$' for a shell command; 'PromQL:' for a query to paste into Prometheus (never to run in a shell)."""
    first = command.split(maxsplit=1)[0] if command.strip() else ""
    return "$" if first in SHELL else "PromQL:"
