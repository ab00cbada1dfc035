"""The cluster's Prometheus as the default OpenShift must-gather saved it (`gather_monitoring`).

openshift/must-gather's `gather_monitoring` runs `curl http://localhost:9090/api/v1/rules` in the first ready
Prometheus pod and saves the answer as `monitoring/prometheus/rules.json` (since July 2021; from January 2021
it saved `/api/v1/rules?type=alert` as `monitoring/alerts.json`). Both are Prometheus' rules API: every rule
group, each alerting rule with its query, `duration` (its `for`, in seconds), labels, and the alerts it had
then (state, labels, activeAt, value). An `/api/v1/alerts` answer (`data.alerts`) is read as well.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from virt_doctor.snapshot.alert_rules import AlertInstance, ClusterAlertRule, CollectedPrometheus
from virt_doctor.timeutil import parse_time

# gather_monitoring's files that hold alerts, newest layout first
ALERT_FILES = ("monitoring/prometheus/rules.json", "monitoring/alerts.json")


class NotPrometheusAPI(ValueError):
    """The file is not the shape of Prometheus' rules or alerts API answer."""


def read_prometheus_answer(where: str, data: bytes) -> CollectedPrometheus:
    """A saved /api/v1/rules (or /api/v1/alerts) answer; raise NotPrometheusAPI when it is not one."""
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise NotPrometheusAPI(f"not JSON ({exc})") from None
    if not isinstance(body, dict) or body.get("status") != "success" or not isinstance(body.get("data"), dict):
        status = body.get("status") if isinstance(body, dict) else None
        why = f"status {status!r}" + (f": {body.get('error')}" if isinstance(body, dict) and body.get("error") else "")
        raise NotPrometheusAPI(f"not a successful Prometheus API answer ({why})")
    payload = body["data"]
    if isinstance(payload.get("groups"), list):
        return _from_rules(where, payload["groups"])
    if isinstance(payload.get("alerts"), list):
        return CollectedPrometheus(where, {}, tuple(_alerts(payload["alerts"], "")), has_rules=False)
    raise NotPrometheusAPI("neither data.groups (/api/v1/rules) nor data.alerts (/api/v1/alerts)")


def _from_rules(where: str, groups: list[Any]) -> CollectedPrometheus:
    rules: dict[str, list[ClusterAlertRule]] = {}
    alerts: list[AlertInstance] = []
    for position, group in enumerate(groups):
        if not isinstance(group, dict) or not isinstance(group.get("rules"), list):
            raise NotPrometheusAPI(f"data.groups[{position}] has no rules list")
        for rule in group["rules"]:
            if not isinstance(rule, dict) or rule.get("type") != "alerting" or not rule.get("name"):
                continue  # recording rules, and anything else, say nothing of alerts
            name = str(rule["name"])
            labels = rule["labels"] if isinstance(rule.get("labels"), dict) else {}
            rules.setdefault(name, []).append(ClusterAlertRule(
                name, str(rule.get("query") or ""), _seconds(rule.get("duration")),
                str(labels.get("severity") or ""), f"the cluster's Prometheus ({where}, group {group.get('name')})"))
            alerts += _alerts(rule.get("alerts") or [], name)
    return CollectedPrometheus(where, {name: tuple(found) for name, found in rules.items()}, tuple(alerts))


def _alerts(items: list[Any], rule_name: str) -> list[AlertInstance]:
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("labels"), dict):
            continue
        labels = {str(k): str(v) for k, v in item["labels"].items()}
        name = labels.get("alertname") or rule_name
        state = str(item.get("state") or "")
        if not name or state not in ("pending", "firing"):
            continue
        out.append(AlertInstance(name, state, labels, parse_time(item.get("activeAt")), _number(item.get("value"))))
    return out


def _seconds(value: object) -> str:
    """The rules API's `duration` (seconds, a number) as a Prometheus duration ('300' -> '5m')."""
    try:
        seconds = int(float(str(value or 0)))
    except ValueError:
        return "0"
    if seconds == 0:
        return "0"
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _number(value: object) -> float | None:
    try:
        number = float(str(value))
    except ValueError:
        return None
    return None if math.isnan(number) else number
