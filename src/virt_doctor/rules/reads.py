"""What to read and ask before the rules run: the kinds one alert's diagnosis must list (its rule's reads and what
its mitigation acts on), and each metric rule's PromQL — the cluster's own alert definitions where it has them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from virt_doctor.catalog import load_catalog
from virt_doctor.rules.registry import REGISTRY
from virt_doctor.snapshot.alert_rules import ClusterAlertRule, alert_rules_in
from virt_doctor.timeutil import parse_duration


def kinds_read_by(alerts: Sequence[str]) -> frozenset[str]:
    """The kinds the alerts' rules declare they read, and those their mitigation acts on: all a diagnosis of them
    needs to list (its plan carries each target's resourceVersion)."""
    import virt_doctor.rules.all  # noqa: F401  (registers)

    catalog = load_catalog()
    acted_on = {str(step.action.get("kind", "Node")) for alert in alerts if alert in catalog
                for step in catalog.get(alert).mitigation if step.action}  # a plan names its objects' versions
    return frozenset(read.kind for alert in alerts if (spec := REGISTRY.get(alert)) is not None
                     for read in spec.declared) | acted_on


def metric_queries(only: Sequence[str] | None = None, objects: Iterable[dict[str, Any]] = ()
                   ) -> dict[str, tuple[dict[str, str], timedelta]]:
    """Every metric rule's PromQL with its alert's `for`, for the source to ask before the rules run; where the
    cluster's own PrometheusRules (among `objects`) define the alert, its conditions are the cluster's."""
    import virt_doctor.rules.all  # noqa: F401  (registers)

    catalog = load_catalog()
    theirs = alert_rules_in(objects)
    out = {}
    for spec in REGISTRY:
        if not spec.queries or (only is not None and spec.alert not in only):
            continue
        entry = catalog.get(spec.alert)
        queries = dict(spec.queries)
        if "condition" in queries and spec.alert in theirs:
            queries = {**{k: v for k, v in queries.items() if k.partition(":")[0] != "condition"},
                       **cluster_conditions(theirs[spec.alert], entry.severity)}
        out[spec.alert] = (queries, parse_duration(entry.for_))
    return out


def cluster_conditions(rules: Sequence[ClusterAlertRule], severity: str) -> dict[str, str]:
    """The cluster's rules for an alert as condition queries: the one at the catalog's severity (else the first)
    is "condition", the others "condition:<their severity>"."""
    primary = next((r for r in rules if r.severity == severity), rules[0])
    return {"condition": primary.expr, **{f"condition:{r.severity}": r.expr for r in rules
                                          if r is not primary and r.severity and r.severity != primary.severity}}
