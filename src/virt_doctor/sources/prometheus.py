"""Prometheus (or a Thanos querier) over its HTTP API: instant and range queries, firing alerts, clear errors.

Only this module talks HTTP to Prometheus. Every failure becomes a PrometheusError
with one line that names the URL and what went wrong; the scan turns it into
`skipped` coverage for the alerts that needed the answer. Tokens are sent, never
printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from virt_doctor.errors import InputError, VirtDoctorError
from virt_doctor.snapshot.metrics import STEP, Series


class PrometheusError(VirtDoctorError):
    """Prometheus could not answer: unreachable, refused (401/403), bad query, or too slow."""


class PrometheusConfigError(InputError):
    """The Prometheus options themselves are wrong (not a URL, no such CA file): exit 2."""


@dataclass
class PrometheusClient:
    """A small PromQL client on httpx."""

    url: str
    token: str | None = field(default=None, repr=False)  # never printed
    ca_file: str | None = None
    insecure: bool = False
    timeout: float = 10.0
    transport: httpx.BaseTransport | None = None
    _client: httpx.Client | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        if not self.url.startswith(("http://", "https://")):
            raise PrometheusConfigError(f"--prometheus {self.url!r} is not an http(s) URL")
        if self.ca_file and not Path(self.ca_file).is_file():
            raise PrometheusConfigError(f"--prometheus-ca {self.ca_file}: no such file")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        verify: Any = False if self.insecure else (self.ca_file or True)
        self._client = httpx.Client(base_url=self.url, headers=headers, verify=verify, timeout=self.timeout,
                                    transport=self.transport)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _get(self, path: str, params: dict[str, str]) -> Any:
        assert self._client is not None
        try:
            response = self._client.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise PrometheusError(f"{self.url}: no answer within {self.timeout:g}s ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise PrometheusError(f"{self.url}: unreachable ({exc})") from exc
        except (httpx.RequestError, httpx.InvalidURL) as exc:  # decoding, redirects, a malformed URL
            raise PrometheusError(f"{self.url}{path}: request failed ({type(exc).__name__}: {exc})") from exc
        if response.status_code in (401, 403):
            raise PrometheusError(f"{self.url}: {response.status_code} {response.reason_phrase} — check the token "
                                  "(--prometheus-token or VIRT_DOCTOR_PROMETHEUS_TOKEN)")
        try:
            body = response.json()
        except ValueError as exc:
            raise PrometheusError(f"{self.url}{path}: HTTP {response.status_code}, not a Prometheus API answer") from exc
        if body.get("status") != "success":
            raise PrometheusError(f"{self.url}{path}: {body.get('errorType', 'error')}: {body.get('error', '')}"
                                  .rstrip(": "))
        return body.get("data")

    def query(self, expr: str, at: datetime) -> list[Series]:
        """An instant query at `at`."""
        data = self._get("/api/v1/query", {"query": expr, "time": _ts(at)})
        return _series(data)

    def query_range(self, expr: str, start: datetime, end: datetime, step: timedelta) -> list[Series]:
        """A range query from `start` to `end` (inclusive) every `step`."""
        data = self._get("/api/v1/query_range", {"query": expr, "start": _ts(start), "end": _ts(end),
                                                 "step": f"{step.total_seconds():g}s"})
        return _series(data)

    def firing_alerts(self, at: datetime) -> list[Series]:
        """The alerts Prometheus had pending or firing at `at` (its ALERTS series)."""
        return self.query("ALERTS", at)


def _ts(moment: datetime) -> str:
    return f"{moment.astimezone(UTC).timestamp():.3f}"


def _series(data: Any) -> list[Series]:
    kind = data.get("resultType") if isinstance(data, dict) else None
    out = []
    for item in (data or {}).get("result") or []:
        if kind == "matrix":
            points = item.get("values") or []
        elif kind == "vector":
            points = [item.get("value")]
        else:
            continue
        samples = tuple((datetime.fromtimestamp(float(t), UTC), float(v)) for t, v in points if v is not None)
        out.append(Series(dict(item.get("metric") or {}), samples))
    return out


@dataclass
class MetricAnswers:
    """What Prometheus answered for the rules' queries: by alert, by query name; or why it could not."""

    results: dict[str, dict[str, list[Series]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    firing: list[Series] | None = None


def fetch(client: PrometheusClient, queries: dict[str, tuple[dict[str, str], timedelta]], at: datetime,
          step: timedelta = STEP) -> MetricAnswers:
    """Run every rule's queries at `at`: the condition over its `for` window (range), the others instant.

    An unreachable Prometheus is asked once, not once per alert: the first such
    error is recorded for every alert that needed an answer.
    """
    answers = MetricAnswers()
    unreachable: str | None = None
    for alert, (named, hold) in sorted(queries.items()):
        if unreachable:
            answers.errors[alert] = unreachable
            continue
        try:
            results: dict[str, list[Series]] = {}
            for name, expr in named.items():
                if name.partition(":")[0] == "condition":  # (and condition:<severity>) an hour back at least, so `since` is known beyond the `for`
                    window = max(2 * hold, timedelta(hours=1)) + 2 * step
                    results[name] = client.query_range(expr, at - window, at, step)
                else:
                    results[name] = client.query(expr, at)
            answers.results[alert] = results
        except PrometheusError as exc:
            answers.errors[alert] = f"Prometheus: {exc}"
            if "unreachable" in str(exc) or "no answer within" in str(exc) or "401" in str(exc) or "403" in str(exc):
                unreachable = answers.errors[alert]
    if unreachable is None:
        try:
            answers.firing = client.firing_alerts(at)
        except PrometheusError:
            answers.firing = None
    return answers
