"""Every httpx failure becomes a PrometheusError with one line naming the URL: never a traceback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

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


def test_answers_are_parsed_into_series() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer t0ken"
        assert request.url.params["query"] == "up"
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"job": "a"}, "values": [[1795163643, "1"], [1795163673, "0"]]}]}})

    client = PrometheusClient("http://p:9090/", token="t0ken", transport=httpx.MockTransport(answer))
    at = datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)
    [series] = client.query_range("up", at, at, timedelta(seconds=30))
    assert series.labels == {"job": "a"} and [v for _, v in series.samples] == [1.0, 0.0]
    assert "t0ken" not in repr(client)
