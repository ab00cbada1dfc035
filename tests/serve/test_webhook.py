"""Alertmanager's webhook, through the real app (ASGI, in process): each alert diagnosed against the view and
stored before the answer; bad input refused with the field named; credentials checked; nothing lost."""

from __future__ import annotations

import base64
import threading

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.serve.alerts import PATH, am_alert, instance_labels, payload
from virt_doctor.serve.app import create_app
from virt_doctor.serve.auth import WebhookAuth
from virt_doctor.serve.service import Service
from virt_doctor.serve.view import ClusterView
from virt_doctor.store.database import open_engine
from virt_doctor.store.schema import Incident, Notification


@pytest.fixture
def service(db_url: str, example_view: ClusterView) -> Service:
    return Service(example_view, open_engine(db_url), interval=0)


@pytest.fixture
def client(service: Service) -> TestClient:
    return TestClient(create_app(service, start_background=False))


def stored(service: Service) -> tuple[int, int]:
    with service.sessions() as s:
        return (s.scalar(select(func.count()).select_from(Incident)) or 0,
                s.scalar(select(func.count()).select_from(Notification)) or 0)


def test_every_finding_arrives_diagnosed_with_the_scans_cause(client: TestClient, service: Service,
                                                              example_view: ClusterView) -> None:
    """Each finding of the example, sent back as the alert Prometheus would fire for it, gets its cause."""
    assert example_view.current is not None
    findings = list(example_view.current.report.findings)
    alerts = [am_alert(instance_labels(f), f"fp{i:04d}") for i, f in enumerate(findings)]
    answer = client.post(PATH, json=payload(alerts))
    assert answer.status_code == 200, answer.text
    got = answer.json()["incidents"]
    assert [(g["alertname"], g["verdict"], g["cause"]) for g in got] == \
        [(f.alert, "holds", f.cause.id) for f in findings]
    page = client.get(f"/api/v1/incidents/{got[0]['id']}").json()
    assert page["diagnoses"][0]["finding"]["id"] == findings[0].id
    assert page["starts_at"] == "2026-11-20T08:00:00Z"


def test_repeats_update_resolved_closes_unknown_is_kept(client: TestClient, service: Service,
                                                        example_view: ClusterView) -> None:
    assert example_view.current is not None
    f = example_view.current.report.findings[0]
    first = client.post(PATH, json=payload([am_alert(instance_labels(f), "abc")])).json()["incidents"][0]
    again = client.post(PATH, json=payload([am_alert(instance_labels(f), "abc")])).json()["incidents"][0]
    assert again["id"] == first["id"]
    closed = client.post(PATH, json=payload([am_alert(instance_labels(f), "abc", "resolved")], "resolved"))
    assert closed.json()["incidents"][0]["state"] == "resolved"
    unknown = client.post(PATH, json=payload([am_alert({"alertname": "KubePodCrashLooping"}, "zzz")]))
    assert unknown.json()["incidents"][0]["verdict"] == "no-runbook"
    detail = client.get(f"/api/v1/incidents/{first['id']}").json()
    assert detail["state"] == "resolved" and detail["ends_at"] == "2026-11-20T09:30:00Z"
    assert detail["notifications"] == 3
    assert stored(service) == (2, 4)


def test_a_metric_alert_the_view_could_not_evaluate_says_why(client: TestClient) -> None:
    """No Prometheus behind the view: the alert is stored as not evaluated, with the reason, never as healthy."""
    got = client.post(PATH, json=payload([am_alert({"alertname": "VirtApiRESTErrorsBurst",
                                                     "namespace": "openshift-cnv"}, "m1")])).json()["incidents"][0]
    assert got["verdict"] == "not-evaluated"
    note = client.get(f"/api/v1/incidents/{got['id']}").json()["diagnoses"][0]["note"]
    assert note.startswith("not evaluated: ") and "Prometheus" in note


def test_an_instance_that_is_healthy_in_the_view_is_not_holding(client: TestClient) -> None:
    labels = {"alertname": "VirtualMachineStuckOnNode", "namespace": "vms-000", "name": "no-such-vm"}
    got = client.post(PATH, json=payload([am_alert(labels, "h1")])).json()["incidents"][0]
    assert got["verdict"] == "not-holding"


@pytest.mark.parametrize(("body", "field"), [
    (b"{not json", "body: not JSON"),
    (b"[]", "body: expected an object"),
    (orjson.dumps({**payload([]), "version": "3"}), "version: expected \"4\""),
    (orjson.dumps({**payload([]), "alerts": {}}), "alerts: expected a list"),
    (orjson.dumps(payload([{"status": "firing", "labels": {"severity": "x"}}])), "alerts[0].labels.alertname: missing"),
    (orjson.dumps(payload([{**am_alert({"alertname": "A"}, "f"), "status": "pending"}])),
     "alerts[0].status: expected firing or resolved"),
    (orjson.dumps(payload([{**am_alert({"alertname": "A"}, "f"), "startsAt": "yesterday"}])),
     "alerts[0].startsAt: 'yesterday' is not an RFC 3339 time"),
    (orjson.dumps(payload([{**am_alert({"alertname": "A"}, "f"), "labels": {"alertname": 3}}])),
     "alerts[0].labels: expected an object of strings"),
])
def test_a_malformed_payload_is_refused_naming_the_field_and_stores_nothing(
        client: TestClient, service: Service, body: bytes, field: str) -> None:
    answer = client.post(PATH, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["error"].startswith(field), answer.text
    assert stored(service) == (0, 0)


def test_an_oversized_payload_is_refused(service: Service) -> None:
    service.max_body = 2048
    client = TestClient(create_app(service, start_background=False))
    big = payload([am_alert({"alertname": "A", "x": "y" * 4000}, "f")])
    assert client.post(PATH, json=big).status_code == 413

    def chunks():  # type: ignore[no-untyped-def]  # no Content-Length: counted as it streams
        body = orjson.dumps(big)
        for i in range(0, len(body), 512):
            yield body[i:i + 512]

    assert client.post(PATH, content=chunks()).status_code == 413
    assert stored(service) == (0, 0)


def test_credentials_are_checked_in_constant_time_and_never_echoed(service: Service) -> None:
    service.auth = WebhookAuth(token="s3cret-token")
    client = TestClient(create_app(service, start_background=False))
    body = payload([am_alert({"alertname": "A"}, "f")])
    assert client.post(PATH, json=body).status_code == 401
    wrong = client.post(PATH, json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "s3cret" not in wrong.text
    assert client.post(PATH, json=body, headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    service.auth = WebhookAuth(username="am", password="pw:with:colons")
    good = base64.b64encode(b"am:pw:with:colons").decode()
    bad = base64.b64encode(b"am:pw").decode()
    assert client.post(PATH, json=body, headers={"Authorization": f"Basic {bad}"}).status_code == 401
    assert client.post(PATH, json=body, headers={"Authorization": f"Basic {good}"}).status_code == 200
    assert "s3cret" not in repr(service.auth) + repr(WebhookAuth(token="s3cret-token"))


def test_two_deliveries_of_a_new_alert_at_once_make_one_incident(service: Service, example_view: ClusterView) -> None:
    """Replicas (or Alertmanager's retries) racing to open the same incident: one incident, both counted."""
    assert example_view.current is not None
    f = example_view.current.report.findings[0]
    body = payload([am_alert(instance_labels(f), "race")])
    clients = [TestClient(create_app(service, start_background=False)) for _ in range(4)]
    answers: list[int] = []
    threads = [threading.Thread(target=lambda c=c: answers.append(c.post(PATH, json=body).status_code))
               for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [200] * 4
    with service.sessions() as s:
        [only] = s.scalars(select(Incident)).all()
        assert only.notifications == 4


def test_metrics_count_requests_and_findings(client: TestClient, service: Service) -> None:
    service.evaluate_once()
    client.post(PATH, json=payload([am_alert({"alertname": "A"}, "f")]))
    client.post(PATH, content=b"{")
    text = client.get("/metrics").text
    assert 'virt_doctor_webhook_requests_total{code="200"} 1.0' in text
    assert 'virt_doctor_webhook_requests_total{code="400"} 1.0' in text
    assert 'virt_doctor_evaluations_total{outcome="ok"} 1.0' in text
    assert 'virt_doctor_findings{alert="VirtualMachineStuckOnNode",severity="warning"}' in text
    assert client.get("/readyz").json() == {"status": "ok", "problems": [], "leader": True}  # alone: it keeps them
