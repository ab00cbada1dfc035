"""The metric alerts as Prometheus alerting rules: a PrometheusRule object, or a plain rule file."""

from __future__ import annotations

from typing import Any

from virt_doctor.catalog.catalog import Catalog

PART_OF = "kubevirt"


def alerting_rule(catalog: Catalog, alert: str, expr: str, severity: str | None = None) -> dict[str, Any]:
    """One alerting rule with the labels and annotations upstream's rules carry (at `severity`, for an alert
    defined at several)."""
    entry = catalog.get(alert)
    rule: dict[str, Any] = {"alert": alert, "expr": expr}
    hold = entry.for_of(severity)
    if hold not in ("0", "0m", "0s"):
        rule["for"] = hold
    rule["labels"] = {"severity": severity or entry.severity, "operator_health_impact": entry.health_impact,
                      "kubernetes_operator_part_of": PART_OF, "kubernetes_operator_component": entry.component}
    rule["annotations"] = {"summary": entry.summary, "description": entry.meaning,
                           "runbook_url": f"https://kubevirt.io/monitoring/runbooks/{alert}"}
    return rule


def rule_groups(catalog: Catalog, conditions: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """One group holding every metric alert, sorted by name; an alert defined at several severities is a rule
    for each (its conditions by severity: '' for the catalog's own)."""
    return [{"name": "virt-doctor.kubevirt.alerts",
             "rules": [alerting_rule(catalog, alert, expr, severity or None)
                       for alert, levels in sorted(conditions.items()) for severity, expr in levels.items()]}]


def prometheus_rule(catalog: Catalog, conditions: dict[str, dict[str, str]], namespace: str) -> dict[str, Any]:
    """The monitoring.coreos.com/v1 PrometheusRule the Prometheus Operator loads."""
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "virt-doctor-kubevirt-alerts", "namespace": namespace,
                         "labels": {"prometheus.kubevirt.io": "true", "role": "alert-rules",
                                    "app.kubernetes.io/part-of": "virt-doctor"}},
            "spec": {"groups": rule_groups(catalog, conditions)}}
