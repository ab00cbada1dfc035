"""Every httpx failure becomes a PrometheusError with one line naming the URL: never a traceback; a real answer
is parsed as the server stored it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.prometheus.conftest import prometheus_from
from virt_doctor.sources.prometheus import PrometheusClient, PrometheusError


def all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found += all_subclasses(sub)
    return found


REQUEST_ERRORS = sorted({c for c in [httpx.RequestError, *all_subclasses(httpx.RequestError)]
                         if c.__module__.startswith("httpx")}, key=lambda c: c.__name__)


@pytest.mark.parametrize("error", REQUEST_ERRORS, ids=[c.__name__ for c in REQUEST_ERRORS])
def test_every_httpx_request_error_is_mapped(error: type[httpx.RequestError]) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error("boom", request=request)

    client = PrometheusClient("http://prometheus.invalid:9090", transport=httpx.MockTransport(fail), timeout=1)
    with pytest.raises(PrometheusError) as info:
        client.query("up", datetime(2026, 11, 20, tzinfo=UTC))
    assert "http://prometheus.invalid:9090" in str(info.value)
    assert "\n" not in str(info.value)


class Recording(httpx.HTTPTransport):
    """The real transport, keeping each request's headers: what the client sent, answered by the real server."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return super().handle_request(request)


@pytest.mark.real
def test_answers_are_parsed_into_series(tmp_path: Path) -> None:
    """A range query answered by Debian's Prometheus over a backfilled series: labels and samples as stored, the
    token sent as a bearer and never shown."""
    at = datetime(2026, 11, 20, 9, 14, 0, tzinfo=UTC)
    first, second = int((at - timedelta(seconds=30)).timestamp()), int(at.timestamp())
    (tmp_path / "history.om").write_text("# TYPE up gauge\n"
                                         f'up{{job="a"}} 1 {first}\nup{{job="a"}} 0 {second}\n# EOF\n')
    with prometheus_from(tmp_path / "history.om", tmp_path) as url:
        transport = Recording()
        client = PrometheusClient(url + "/", token="t0ken", transport=transport)
        [series] = client.query_range('up{job="a"}', at - timedelta(seconds=30), at, timedelta(seconds=30))
    assert series.labels == {"__name__": "up", "job": "a"}
    assert [v for _, v in series.samples] == [1.0, 0.0]
    assert [int(t.timestamp()) for t, _ in series.samples] == [first, second]
    assert transport.sent and all(r.headers["Authorization"] == "Bearer t0ken" for r in transport.sent)
    assert "t0ken" not in repr(client)
