"""Metric answers carried by a snapshot: what Prometheus said for each rule's queries, at the evaluation time."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

STEP = timedelta(seconds=30)  # resolution of the range queries that decide pending vs firing


@dataclass(frozen=True)
class Series:
    """One time series of a query result: its labels and (timestamp, value) samples, oldest first."""

    labels: dict[str, str]
    samples: tuple[tuple[datetime, float], ...]

    @property
    def last(self) -> float:
        return self.samples[-1][1] if self.samples else math.nan


def holding_since(series: Series, at: datetime, step: timedelta = STEP) -> datetime | None:
    """When the condition started holding without a gap, if it holds at `at` (None when it does not).

    The range query evaluates the expression at `at` itself (its last step): as Prometheus resolves an alert
    at the first evaluation where the expression is empty, the condition holds only if that point exists.
    """
    if not series.samples or abs((series.samples[-1][0] - at).total_seconds()) > 1:
        return None
    since = series.samples[-1][0]
    for moment, _value in reversed(series.samples[:-1]):
        if since - moment > 1.5 * step:
            break
        since = moment
    return since
