"""Alertmanager notifications as the service receives them, for the tests that send them."""

from __future__ import annotations

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
