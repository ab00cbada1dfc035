"""The benchmarks' results as Markdown tables, the form docs/benchmarks.md publishes them in."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]], text: Collection[int] = ()) -> str:
    """A table with these column titles; columns whose index is in `text` align left, the figures right."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if at in text else "---:" for at in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
