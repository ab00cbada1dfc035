"""A Prometheus that is down, slow, refuses the token or answers errors: one clear line, a partial report."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import SimulateFn
from tests.prometheus.conftest import free_port
from virt_doctor.cli.app import app

TOKEN = "s3cr3t-token-value"
runner = CliRunner()


class Handler(BaseHTTPRequestHandler):
    mode = "ok"

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.mode == "503":
            body, status, kind = b"<html>Service Unavailable</html>", 503, "text/html"
        elif self.mode == "bad-query":
            body, status, kind = (b'{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected '
                                  b'identifier"}', 400, "application/json")
        elif self.headers.get("Authorization") != f"Bearer {TOKEN}":
            body, status, kind = b'{"status":"error","error":"unauthorized"}', 401, "application/json"
        else:
            body = json.dumps({"status": "success", "data": {"resultType": "matrix" if "range" in self.path
                                                             else "vector", "result": []}}).encode()
            status, kind = 200, "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, type[Handler]]]:
    handler = type("H", (Handler,), {"mode": "ok"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def scan(dump: Path, *args: str) -> tuple[int, dict, str]:
    result = runner.invoke(app, ["scan", "--from", str(dump), "-o", "json", *args])
    return result.exit_code, json.loads(result.stdout) if result.stdout else {}, result.stderr


def metric_reasons(report: dict) -> set[str]:
    return {c["reason"] for c in report["coverage"] if c["alert"] == "VirtApiRESTErrorsBurst"}


def test_down(simulated: SimulateFn) -> None:
    dump, _ = simulated(["handler-crashloop"])
    url = f"http://127.0.0.1:{free_port()}"
    code, report, err = scan(dump, "--prometheus", url)
    assert code == 1  # the object findings still count
    assert f"warning: Prometheus: {url}: unreachable" in err
    reasons = metric_reasons(report)
    assert len(reasons) == 1 and next(iter(reasons)).startswith(f"Prometheus: {url}: unreachable")
    assert any(f["alert"] == "OrphanedVirtualMachineInstances" for f in report["findings"])


def test_slow(simulated: SimulateFn, silent_server: str) -> None:
    dump, _ = simulated()
    code, report, err = scan(dump, "--prometheus", silent_server, "--prometheus-timeout", "0.5")
    assert code == 0
    assert "no answer within 0.5s" in err
    assert all("no answer within 0.5s" in r for r in metric_reasons(report))


def test_errors_and_token(simulated: SimulateFn, http_server: tuple[str, type[Handler]],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    dump, _ = simulated()
    url, handler = http_server
    code, report, err = scan(dump, "--prometheus", url, "--prometheus-token", "wrong")
    assert "401 Unauthorized" in err and "check the token" in err
    code, report, err = scan(dump, "--prometheus", url, "--prometheus-token", TOKEN)
    assert code == 0 and err == ""
    assert "VirtApiRESTErrorsBurst" in {c["alert"] for c in report["coverage"] if c["status"] == "evaluated"}
    monkeypatch.setenv("VIRT_DOCTOR_PROMETHEUS_TOKEN", TOKEN)
    monkeypatch.setenv("VIRT_DOCTOR_PROMETHEUS_URL", url)
    code, report, err = scan(dump)
    assert code == 0 and "VirtApiRESTErrorsBurst" in {c["alert"] for c in report["coverage"]
                                                      if c["status"] == "evaluated"}
    handler.mode = "bad-query"
    code, report, err = scan(dump)
    assert err.count("warning:") == 1 and "bad_data: 1:5: parse error" in err  # every query was rejected
    assert metric_reasons(report) == {f"Prometheus: {url}/api/v1/query_range: bad_data: 1:5: parse error: unexpected "
                                      "identifier"}
    handler.mode = "503"
    code, report, err = scan(dump)
    assert "HTTP 503, not a Prometheus API answer" in err
    assert TOKEN not in json.dumps(report) + err


def test_bad_prometheus_options_are_input_errors(simulated: SimulateFn) -> None:
    dump, _ = simulated()
    result = runner.invoke(app, ["scan", "--from", str(dump), "--prometheus", "localhost:9090"])
    assert result.exit_code == 2 and "is not an http(s) URL" in result.stderr
    result = runner.invoke(app, ["scan", "--from", str(dump), "--prometheus", "http://x", "--prometheus-ca", "/no/ca"])
    assert result.exit_code == 2 and "--prometheus-ca /no/ca: no such file" in result.stderr


def test_without_prometheus_metric_alerts_are_skipped_with_the_reason(simulated: SimulateFn) -> None:
    dump, _ = simulated()
    code, report, _ = scan(dump)
    assert metric_reasons(report) == {"needs Prometheus (--prometheus)"}
