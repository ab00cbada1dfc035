"""What the service survives: the store going away (answers 503, says degraded, recovers by itself), a kill -9
in the middle of a stream of notifications (every acknowledged one is in the store), and its outgoing message."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.prometheus.conftest import free_port, stop_process
from tests.serve import postgres
from tests.serve.alerts import PATH, am_alert, instance_labels, payload
from tests.serve.conftest import EXAMPLE
from virt_doctor.serve.app import create_app
from virt_doctor.serve.notify import Notifier
from virt_doctor.serve.service import Service
from virt_doctor.serve.view import ClusterView
from virt_doctor.store.database import open_engine

VIRT_DOCTOR = Path(sys.executable).parent / "virt-doctor"


def test_a_store_that_goes_away_is_a_503_and_degraded_until_it_is_back(pg_server: postgres.Postgres,
                                                                       example_view: ClusterView) -> None:
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE outage")
    service = Service(example_view, open_engine(pg_server.url.rsplit("/", 1)[0] + "/outage"), interval=0)
    client = TestClient(create_app(service, start_background=False))
    assert client.post(PATH, json=payload([am_alert({"alertname": "A"}, "before")])).status_code == 200
    pg_server.crash()
    try:
        refused = client.post(PATH, json=payload([am_alert({"alertname": "A"}, "during")]))
        assert refused.status_code == 503 and "retry" in refused.json()["error"]
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["problems"][0].startswith("the store is unavailable")
    finally:
        pg_server.start_again()
    assert client.post(PATH, json=payload([am_alert({"alertname": "A"}, "during")])).status_code == 200  # the retry
    assert client.get("/readyz").json() == {"status": "ok", "problems": [], "leader": True}  # alone: it keeps them
    keys = {i["key"] for i in client.get("/api/v1/incidents").json()}
    assert keys == {"before", "during"}
    assert "virt_doctor_store_errors_total 2.0" in client.get("/metrics").text


class Chat(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []  # type: ignore[type-arg]

    def do_POST(self) -> None:  # noqa: N802
        Chat.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def chat() -> Iterator[str]:
    Chat.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Chat)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_a_newly_diagnosed_incident_is_posted_once_to_the_chat(tmp_path: Path, example_view: ClusterView,
                                                               chat: str) -> None:
    service = Service(example_view, open_engine(str(tmp_path / "db")), interval=0, notifier=Notifier(chat),
                      external_url="https://vd.example")
    client = TestClient(create_app(service, start_background=False))
    assert example_view.current is not None
    f = next(f for f in example_view.current.report.findings if f.diagnosis)
    number = client.post(PATH, json=payload([am_alert(instance_labels(f), "chat-1")])).json()["incidents"][0]["id"]
    client.post(PATH, json=payload([am_alert(instance_labels(f), "chat-1")]))  # a repeat: nothing more to say
    deadline = time.monotonic() + 10
    while not Chat.received and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    [message] = Chat.received
    text = message["text"]
    assert text.startswith(f"*{f.alert}* ({f.severity})") and f"Cause: {f.cause.title}" in text
    assert f"First: `{f.diagnosis[0].command}`" in text and text.endswith(f"https://vd.example/incidents/{number}")


def test_kill_9_mid_stream_loses_no_acknowledged_notification(tmp_path: Path) -> None:
    """Notifications are posted one after another while the service is killed with SIGKILL; restarted on the
    same store, every notification it answered 200 to is there."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    db = tmp_path / "incidents.db"
    args = [str(VIRT_DOCTOR), "serve", "--from", str(EXAMPLE), "--db", str(db), "--port", str(port),
            "--log-level", "warning"]

    def start() -> subprocess.Popen:  # type: ignore[type-arg]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        stop_process(process)
        pytest.fail("virt-doctor serve did not become ready")

    process = start()
    acknowledged: list[str] = []
    stop = threading.Event()

    def post() -> None:
        with httpx.Client(timeout=5) as client:
            for n in range(100000):
                if stop.is_set():
                    return
                key = f"kill-{n:05d}"
                try:
                    answer = client.post(url + PATH, json=payload([am_alert({"alertname": "A", "n": str(n)}, key)]))
                except httpx.TransportError:
                    return
                if answer.status_code == 200:
                    acknowledged.append(key)

    poster = threading.Thread(target=post)
    poster.start()
    while len(acknowledged) < 150:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    stop.set()
    poster.join()
    process = start()
    try:
        kept = {i["key"] for i in httpx.get(f"{url}/api/v1/incidents", params={"limit": 5000}).json()}
    finally:
        stop_process(process)
    assert len(acknowledged) >= 150
    assert set(acknowledged) <= kept
