"""The metric alerts as Prometheus alerting rules: a PrometheusRule object, or a plain rule file."""

from __future__ import annotations

from typing import Any

from virt_doctor.catalog.catalog import Catalog

PART_OF = "kubevirt"


def alerting_rule(catalog: Catalog, alert: str, expr: str) -> dict[str, Any]:
    """One alerting rule with the labels and annotations upstream's rules carry."""
    entry = catalog.get(alert)
    rule: dict[str, Any] = {"alert": alert, "expr": expr}
    if entry.for_ not in ("0", "0m", "0s"):
        rule["for"] = entry.for_
    rule["labels"] = {"severity": entry.severity, "operator_health_impact": entry.health_impact,
                      "kubernetes_operator_part_of": PART_OF, "kubernetes_operator_component": entry.component}
    rule["annotations"] = {"summary": entry.summary, "description": entry.meaning,
                           "runbook_url": f"https://kubevirt.io/monitoring/runbooks/{alert}"}
    return rule


def rule_groups(catalog: Catalog, conditions: dict[str, str]) -> list[dict[str, Any]]:
    """One group holding every metric alert, sorted by name."""
    return [{"name": "virt-doctor.kubevirt.alerts",
             "rules": [alerting_rule(catalog, alert, expr) for alert, expr in sorted(conditions.items())]}]


def prometheus_rule(catalog: Catalog, conditions: dict[str, str], namespace: str) -> dict[str, Any]:
    """The monitoring.coreos.com/v1 PrometheusRule the Prometheus Operator loads."""
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "virt-doctor-kubevirt-alerts", "namespace": namespace,
                         "labels": {"prometheus.kubevirt.io": "true", "role": "alert-rules",
                                    "app.kubernetes.io/part-of": "virt-doctor"}},
            "spec": {"groups": rule_groups(catalog, conditions)}}
