"""Terminal layout: the one-line table laid out without Rich is the table Rich lays out."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from virt_doctor.report.layout import cell_texts, one_line_rows, print_fitting


def table(*rows: tuple[str | Text, ...]) -> Table:
    out = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    for column in ("NAME", "SEVERITY", "SUMMARY"):
        out.add_column(column)
    for row in rows:
        out.add_row(*row)
    return out


def printed(width: int, how: str, rows: list[tuple[str | Text, ...]]) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    if how == "rich":
        console.print(table(*rows))
    else:
        assert print_fitting(console, table(*rows))
    return console.file.getvalue()  # type: ignore[attr-defined]


ROWS: list[tuple[str | Text, ...]] = [("VirtHandlerDown", "[red]critical[/]", "No virt-handler pod is running."),
                                      ("KubeVirtNoAvailableNodesToRunVMs", Text("warning", "yellow"), ""),
                                      ("x", "info", "A summary with [brackets] escaped: \\[x]")]


def test_a_table_that_fits_on_one_line_a_row_is_laid_out_as_rich_lays_it_out() -> None:
    for width in (120, 200):
        assert printed(width, "ours", ROWS) == printed(width, "rich", ROWS)


def test_a_table_that_must_wrap_a_cell_is_left_to_rich() -> None:
    console = Console(file=io.StringIO(), width=70, color_system=None)
    assert one_line_rows(console, cell_texts(table(*ROWS))) is None  # 32 + 8 + 39 and the gaps: over 70
    assert printed(70, "ours", ROWS) == printed(70, "rich", ROWS)


def test_a_table_whose_longest_word_does_not_fit_is_not_printed() -> None:
    console = Console(file=io.StringIO(), width=30, color_system=None)
    assert not print_fitting(console, table(*ROWS)) and console.file.getvalue() == ""  # type: ignore[attr-defined]
