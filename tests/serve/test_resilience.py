"""What the service survives: the store going away (answers 503, says degraded, recovers by itself), a kill -9
in the middle of a stream of notifications (every acknowledged one is in the store), and its outgoing message."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.prometheus.conftest import free_port, stop_process
from tests.serve import postgres
from tests.serve.alerts import PATH, am_alert, instance_labels, payload, received
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


def test_a_problem_is_posted_once_to_the_chat(tmp_path: Path, example_view: ClusterView, chat: str) -> None:
    """Alertmanager delivers the alerts of one problem one by one (as its grouping by alertname would): the chat
    hears once, with every alert the problem set off; repeats say nothing more."""
    service = Service(example_view, open_engine(str(tmp_path / "db")), interval=0, notifier=Notifier(chat),
                      external_url="https://vd.example")
    client = TestClient(create_app(service, start_background=False))
    assert example_view.current is not None
    report = example_view.current.report
    problem = next(p for p in report.problems if len(p.findings) >= 3)
    members = [f for f in report.findings if f.id in problem.findings]
    for n, f in enumerate(members):
        client.post(PATH, json=payload([am_alert(instance_labels(f), f"chat-{n}")]))
        client.post(PATH, json=payload([am_alert(instance_labels(f), f"chat-{n}")]))  # a repeat
    [message] = received()
    text = message["text"]
    assert text.startswith(f"*Problem* ({problem.severity}): {problem.title}\n")
    assert f"{len(members)} alerts: " in text and all(f.alert in text for f in members)
    assert f"Root: {problem.root.ref()} · cause {problem.cause}" in text
    assert text.endswith(f"https://vd.example/problems/{problem.id}")


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
