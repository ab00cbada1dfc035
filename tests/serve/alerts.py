"""Alertmanager notifications as the service receives them, for the tests that send them."""

from __future__ import annotations

import http.server
import json
import time
from typing import Any

from virt_doctor.report.model import Finding

PATH = "/api/v1/alertmanager"


def instance_labels(f: Finding) -> dict[str, str]:
    """The labels Prometheus would put on this finding's alert: its own, and the subject's namespace and name."""
    labels = {"alertname": f.alert, "severity": f.severity, **f.labels}
    if f.subject.namespace:
        labels.setdefault("namespace", f.subject.namespace)
    if f.subject.kind == "VirtualMachine":
        labels.setdefault("name", f.subject.name)
    if f.subject.kind == "Node":
        labels.setdefault("node", f.subject.name)
    if f.subject.kind == "Pod":
        labels.setdefault("pod", f.subject.name)
    return labels


def payload(alerts: list[dict[str, Any]], status: str = "firing") -> dict[str, Any]:
    """A notification shaped as Alertmanager (v0.25) sends it."""
    return {"receiver": "virt-doctor", "status": status, "alerts": alerts, "groupLabels": {},
            "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://alertmanager:9093", "version": "4",
            "groupKey": "{}:{}", "truncatedAlerts": 0}


def am_alert(labels: dict[str, str], fingerprint: str, status: str = "firing") -> dict[str, Any]:
    return {"status": status, "labels": labels, "annotations": {"summary": "s"},
            "startsAt": "2026-11-20T08:00:00.123456789Z",
            "endsAt": "2026-11-20T09:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus/graph", "fingerprint": fingerprint}


class Chat(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []  # type: ignore[type-arg]

    def do_POST(self) -> None:  # noqa: N802
        Chat.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def received(count: int = 1, timeout: float = 10.0) -> list[dict]:  # type: ignore[type-arg]
    """The chat's messages once `count` arrived (or the timeout passed), after a moment for any more."""
    deadline = time.monotonic() + timeout
    while len(Chat.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    return list(Chat.received)
