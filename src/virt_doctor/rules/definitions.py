"""Which definition of an alert is in force for a cluster: its own PrometheusRule's (threshold, `for`, severity),
or virt-doctor's; whether the cluster ships the alert at all; and where the two differ (drift)."""

from __future__ import annotations

from dataclasses import dataclass

from virt_doctor.catalog.catalog import Catalog, CatalogEntry
from virt_doctor.snapshot.alert_rules import (
    ClusterAlertRule,
    alert_rules_in,
    operator_versions,
    threshold_in,
    version_key,
)
from virt_doctor.snapshot.snapshot import Snapshot
from virt_doctor.timeutil import parse_duration

DEFAULT = "virt-doctor's definition"


@dataclass(frozen=True)
class Definition:
    """An alert as evaluated on this cluster."""

    where: str  # the cluster's PrometheusRule(s), or virt-doctor's own definition
    severity: str
    levels: tuple[tuple[str, str], ...]  # (severity, for) of every rule defining it, the primary first
    threshold: float | None = None
    drift: tuple[str, ...] = ()
    shipped: bool | None = None  # False: the cluster no longer ships the alert
    note: str = ""  # what the coverage line says about the definition

    @property
    def from_cluster(self) -> bool:
        return self.where != DEFAULT

    def for_of(self, severity: str | None) -> str:
        """The `for` of the rule at this severity (the primary's when none is at it)."""
        return dict(self.levels).get(severity or self.severity, self.levels[0][1])


def cluster_rules(snap: Snapshot) -> dict[str, tuple[ClusterAlertRule, ...]]:
    """The cluster's alerting rules by alert, read once per snapshot."""
    return snap.derived("cluster-alert-rules", lambda: alert_rules_in(snap.kind("PrometheusRule")))


def cluster_versions(snap: Snapshot) -> dict[str, str]:
    """The operators' versions as their CRs report them, read once per snapshot."""
    return snap.derived("operator-versions", lambda: operator_versions(snap.kind))


def operator_of(entry: CatalogEntry) -> str:
    """The operator that ships the alert's rule."""
    return dict(entry.versions).get("shipped_by") or entry.component


def definition_of(snap: Snapshot, entry: CatalogEntry, catalog: Catalog,
                  threshold: tuple[str, float] | None = None) -> Definition:
    """The definition in force: the cluster's rules for the alert when it has them, else virt-doctor's, with
    whether the cluster ships the alert and how its definition differs from virt-doctor's."""
    return snap.derived(("definition", entry.name), lambda: _definition(snap, entry, catalog, threshold))


def threshold_of(snap: Snapshot, alert: str, operator: str, default: float) -> float:
    """A rule's threshold as the cluster's own rule sets it (`operator` is the comparison it makes), else the
    default: the number the rule compares with."""
    rules = cluster_rules(snap).get(alert, ())
    found = [v for r in rules if (v := threshold_in(r.expr, operator)) is not None]
    return found[0] if found else default


def firing_in_prometheus(snap: Snapshot) -> frozenset[str]:
    """The alerts the cluster's Prometheus has pending or firing at the evaluation time (its ALERTS series)."""
    return snap.derived("prometheus-alert-names", lambda: frozenset(
        s.labels.get("alertname", "") for s in snap.prometheus_alerts or ()))


def rule_owners(snap: Snapshot, catalog: Catalog) -> dict[str, str]:
    """Operator -> one PrometheusRule of the cluster that holds its alerts (by virt-doctor's catalog)."""
    def owners() -> dict[str, str]:
        found: dict[str, str] = {}
        for alert, rules in cluster_rules(snap).items():
            if alert in catalog:
                found.setdefault(operator_of(catalog.get(alert)), rules[0].where)
        return found
    return snap.derived("cluster-rule-owners", owners)


def _definition(snap: Snapshot, entry: CatalogEntry, catalog: Catalog,
                threshold: tuple[str, float] | None) -> Definition:
    own = ((entry.severity, entry.for_), *entry.levels)
    rules = cluster_rules(snap).get(entry.name, ())
    if rules:
        primary = next((r for r in rules if r.severity == entry.severity), rules[0])
        ordered = (primary, *(r for r in rules if r is not primary))
        levels = tuple((r.severity or entry.severity, r.for_) for r in ordered)
        value = threshold_in(primary.expr, threshold[0]) if threshold else None
        drift = _drift(entry, levels, threshold, value)
        where = ", ".join(dict.fromkeys(r.where for r in rules))
        return Definition(where, levels[0][0], levels, value if value is not None else
                          (threshold[1] if threshold else None), drift, True,
                          f"the cluster's own rule ({where})" + (f"; differs: {'; '.join(drift)}" if drift else ""))
    if entry.name in firing_in_prometheus(snap):  # the cluster's Prometheus evaluates it: its rule is there
        return Definition(DEFAULT, entry.severity, own, threshold[1] if threshold else None, (), True,
                          "the cluster's Prometheus has it pending or firing (its rule was not read)")
    shipped, note = _shipped(snap, entry, rule_owners(snap, catalog).get(operator_of(entry)))
    return Definition(DEFAULT, entry.severity, own, threshold[1] if threshold else None, (), shipped, note)


def _drift(entry: CatalogEntry, levels: tuple[tuple[str, str], ...], threshold: tuple[str, float] | None,
           value: float | None) -> tuple[str, ...]:
    """How the cluster's rule differs from virt-doctor's: threshold, `for`, severity."""
    drift = []
    if threshold and value is not None and value != threshold[1]:
        drift.append(f"threshold {threshold[0]} {threshold[1]:g} here, {value:g} in the cluster")
    severity, hold = levels[0]
    own = dict(((entry.severity, entry.for_), *entry.levels))
    if severity not in own:
        drift.append(f"severity {entry.severity} here, {severity} in the cluster")
    elif parse_duration(own[severity]) != parse_duration(hold):
        drift.append(f"for {own[severity]} here, {hold} in the cluster")
    return tuple(drift)


def _shipped(snap: Snapshot, entry: CatalogEntry, seen: str | None) -> tuple[bool | None, str]:
    """Whether the cluster ships an alert it has no rule for: its operator's rules were seen (`seen`) without it,
    or its operator's version is past the alert's removal. None when neither can be told."""
    facts = dict(entry.versions)
    operator = operator_of(entry)
    version = cluster_versions(snap).get(operator)
    removed, introduced = facts.get("removed"), facts.get("introduced")
    retired = removed or facts.get("deprecated") or facts.get("replaced_by")
    if seen and retired:
        return False, f"not shipped by this cluster: its {operator} rules ({seen}) do not define it" + \
            (f" (removed in {removed})" if removed else "")
    if removed and version and _before(removed, version):
        return False, f"not shipped by this cluster: removed in {operator} {removed}, the cluster runs {version}"
    if seen:
        return True, f"{DEFAULT}: the cluster's {operator} rules do not define it" + \
            (f" (introduced in {introduced})" if introduced else "")
    if introduced and version and _before(introduced, version) is False:
        return None, f"{DEFAULT}: {operator} {version} predates it (introduced in {introduced})"
    return None, ""


def _before(release: str, version: str) -> bool | None:
    """Whether `release` is at or before the cluster's `version` (None when either is no release number)."""
    ours, theirs = version_key(release), version_key(version)
    if ours is None or theirs is None:
        return None
    return ours <= theirs
