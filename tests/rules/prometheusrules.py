"""PrometheusRule objects as operators deploy them, for the tests of the cluster's own definitions."""

from __future__ import annotations

from typing import Any


def prometheus_rule(name: str, *rules: dict[str, Any], namespace: str = "openshift-cnv") -> dict[str, Any]:
    """A PrometheusRule as an operator deploys it."""
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}",
                         "creationTimestamp": "2026-11-01T00:00:00Z"},
            "spec": {"groups": [{"name": "alerts.rules", "rules": list(rules)}]}}


def alerting(alert: str, expr: str, severity: str, hold: str = "") -> dict[str, Any]:
    return {"alert": alert, "expr": expr, **({"for": hold} if hold else {}),
            "labels": {"severity": severity, "operator_health_impact": "none"}}
