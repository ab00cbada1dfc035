"""What the cluster itself defines: the alerting rules in its PrometheusRule objects, and the versions its
operators report. Read once per snapshot; rules and the engine look them up."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from virt_doctor.snapshot import access as a

Obj = dict[str, Any]

# a comparison with a number at the end of an expression's top level: `... >= 200`, `... < 0.75)`
_LAST_COMPARISON = re.compile(r"(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\b")


@dataclass(frozen=True)
class ClusterAlertRule:
    """One alerting rule as the cluster's Prometheus evaluates it."""

    alert: str
    expr: str
    for_: str
    severity: str
    where: str  # "PrometheusRule <namespace>/<name>"


@dataclass(frozen=True)
class AlertInstance:
    """One alert instance as the cluster's Prometheus held it: pending or firing, its labels, since when."""

    alert: str
    state: str  # pending | firing
    labels: Mapping[str, str]
    active_at: datetime | None = None
    value: float | None = None


@dataclass(frozen=True)
class CollectedPrometheus:
    """What a must-gather holds of the cluster's Prometheus at collection (gather_monitoring's API answers):
    every alerting rule it evaluated and every alert it had pending or firing."""

    where: str  # the file in the dump
    rules: Mapping[str, tuple[ClusterAlertRule, ...]] = field(default_factory=dict)
    alerts: tuple[AlertInstance, ...] = ()
    has_rules: bool = True  # False for an /api/v1/alerts answer: which rules were evaluated is not told

    @cached_property
    def by_alert(self) -> dict[str, list[AlertInstance]]:
        """Alert name -> its instances, indexed once."""
        found: dict[str, list[AlertInstance]] = {}
        for instance in self.alerts:
            found.setdefault(instance.alert, []).append(instance)
        return found

    def instances(self, alert: str) -> list[AlertInstance]:
        return self.by_alert.get(alert, [])


def alert_rules_in(objects: Iterable[Obj]) -> dict[str, tuple[ClusterAlertRule, ...]]:
    """Alert name -> the rules defining it, from PrometheusRule objects (malformed rules are passed over)."""
    found: dict[str, list[ClusterAlertRule]] = {}
    for obj in objects:
        if obj.get("kind") != "PrometheusRule":
            continue
        where = f"PrometheusRule {a.namespace(obj)}/{a.name(obj)}"
        for group in a.spec(obj).get("groups") or []:
            for item in (group.get("rules") if isinstance(group, dict) else None) or []:
                if not isinstance(item, dict) or not item.get("alert") or item.get("expr") in (None, ""):
                    continue
                labels = item.get("labels")
                labels = labels if isinstance(labels, dict) else {}
                found.setdefault(str(item["alert"]), []).append(ClusterAlertRule(
                    str(item["alert"]), str(item["expr"]), str(item.get("for") or "0"),
                    str(labels.get("severity") or ""), where))
    return {alert: tuple(rules) for alert, rules in found.items()}


def threshold_in(expr: str, operator: str) -> float | None:
    """The number the expression compares with `operator` last (its threshold), or None when it has none."""
    numbers = [float(m.group(2)) for m in _LAST_COMPARISON.finditer(expr) if m.group(1) == operator]
    return numbers[-1] if numbers else None


# which object says which operator's version, and where
VERSION_SOURCES: tuple[tuple[str, str, str], ...] = (
    ("kubevirt", "KubeVirt", "observedKubeVirtVersion"),
    ("containerized-data-importer", "CDI", "observedVersion"),
    ("cluster-network-addons-operator", "NetworkAddonsConfig", "observedVersion"),
    ("ssp-operator", "SSP", "observedVersion"),
    ("hostpath-provisioner-operator", "HostPathProvisioner", "observedVersion"),
)


def operator_versions(objects_of: Any) -> dict[str, str]:
    """Operator -> the version its CR reports (status), for the operators whose CR the source holds.

    `objects_of(kind)` lists a kind's objects. The HyperConverged operator reports its own in status.versions.
    """
    versions: dict[str, str] = {}
    for operator, kind, status_field in VERSION_SOURCES:
        for obj in objects_of(kind):
            value = a.status(obj).get(status_field)
            if value:
                versions[operator] = str(value)
                break
    for hco in objects_of("HyperConverged"):
        for item in a.status(hco).get("versions") or []:
            if isinstance(item, dict) and item.get("name") == "operator" and item.get("version"):
                versions["hyperconverged-cluster-operator"] = str(item["version"])
    return versions
