"""What a rule yields: an alert instance with its cause id and evidence; the engine adds the catalog's words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from virt_doctor.report.model import Evidence, Subject


@dataclass(frozen=True)
class Detection:
    """One alert instance as a rule sees it.

    `since` is when the condition started (None when the objects do not say);
    `params` fill the <placeholders> of the catalog's commands; `checked` lists
    what the diagnosis looked at, so an `unknown` cause still says what it ruled out.
    """

    subject: Subject
    cause: str
    summary: str
    since: datetime | None = None
    confidence: str = "high"
    evidence: tuple[Evidence, ...] = ()
    params: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    checked: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    severity: str | None = None  # an alert defined at two severities (HCOOperatorConditionsUnhealthy): this one's


class CannotEvaluate(Exception):  # noqa: N818 - it is a verdict, not a failure
    """Raised by a rule whose question the source cannot answer; the alert is `skipped` with this reason."""


@dataclass(frozen=True)
class NotSeen:
    """A subject a rule could not judge, because the source did not show what the judgement rests on.

    Yielded instead of a Detection; the engine keeps the alert `evaluated` and lists these in its coverage reason.
    """

    subject: Subject
    reason: str
