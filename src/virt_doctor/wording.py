"""Small helpers that keep the English of diagnoses right."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """'1 pod', '3 pods': a count with its noun in the right number, so no message says 'pod(s)'."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
