"""Which definition of an alert is in force for a cluster: its own PrometheusRule's (threshold, `for`, severity),
or virt-doctor's; whether the cluster ships the alert at all; and where the two differ (drift)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from virt_doctor.catalog.catalog import Catalog, CatalogEntry
from virt_doctor.catalog.releases import is_product_version, line_of, product_releases, release_key, said
from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.alert_rules import (
    ClusterAlertRule,
    alert_rules_in,
    operator_versions,
    threshold_in,
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
    """The cluster's alerting rules by alert, read once per snapshot: what its Prometheus evaluated at collection
    (a must-gather's rules.json) where the dump has it, else its PrometheusRule objects."""
    def rules() -> dict[str, tuple[ClusterAlertRule, ...]]:
        found = alert_rules_in(snap.kind("PrometheusRule"))
        if snap.collected is not None:
            found.update(snap.collected.rules)
        return found
    return snap.derived("cluster-alert-rules", rules)


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
    """The alerts the cluster's Prometheus has pending or firing at the evaluation time (its ALERTS series), or had
    at collection (a must-gather's rules.json)."""
    return snap.derived("prometheus-alert-names", lambda: frozenset(
        s.labels.get("alertname", "") for s in snap.prometheus_alerts or ()) | frozenset(
        i.alert for i in (snap.collected.alerts if snap.collected is not None else ())))


@dataclass(frozen=True)
class Upstream:
    """An operator's upstream release as the cluster runs it: its own version, or the one its product ships."""

    version: str  # "v1.5.2", or the release the product's row names ("v1.14.0")
    said: str  # how the cluster says it: "v1.5.2", or "OpenShift Virtualization 4.18.3, which ships v1.14.0 ..."
    line_only: bool = False  # from the product table: only the release line (major.minor) is certain


def product_version(snap: Snapshot) -> tuple[str, str] | None:
    """(the product's version, where it is said) when the cluster runs OpenShift Virtualization: HCO's
    status.versions, else its ClusterServiceVersion."""
    def find() -> tuple[str, str] | None:
        reported = cluster_versions(snap).get("hyperconverged-cluster-operator", "")
        if is_product_version(reported):
            return reported, "HyperConverged status.versions"
        for csv in snap.kind("ClusterServiceVersion"):
            version = str(a.spec(csv).get("version") or "")
            if a.name(csv).startswith("kubevirt-hyperconverged-operator") and is_product_version(version):
                return version, f"ClusterServiceVersion {a.name(csv)}"
        return None
    return snap.derived("product-version", find)


def upstream_versions(snap: Snapshot) -> dict[str, Upstream | str]:
    """Operator -> its upstream release (or, a str, why it cannot be told), for every operator whose version the
    cluster reports or whose product release is known."""
    def compute() -> dict[str, Upstream | str]:
        table = product_releases()
        product = product_version(snap)
        row = table.row(product[0]) if product else None
        out: dict[str, Upstream | str] = {}
        for operator, version in cluster_versions(snap).items():
            if not is_product_version(version):
                out[operator] = Upstream(version, version)
            elif (own := table.row(version)) is None:
                out[operator] = f"{table.name} {version.lstrip('v')} is not in virt-doctor's release table"
            elif operator in own.ships:
                out[operator] = Upstream(own.ships[operator], f"{table.name} {version.lstrip('v')}, which ships "
                                         f"{operator} {line_of(own.ships[operator])} ({own.checked})", line_only=True)
        if product is not None and row is not None:
            for operator, shipped in row.ships.items():
                out.setdefault(operator, Upstream(shipped, f"{table.name} {product[0]}, which ships {operator} "
                                                  f"{line_of(shipped)} ({row.checked})", line_only=True))
        return out
    return snap.derived("upstream-versions", compute)


def product_fields(snap: Snapshot) -> dict[str, Any]:
    """The report's source.product: the product release and the upstream releases it was mapped to."""
    product = product_version(snap)
    if product is None:
        return {}
    row = product_releases().row(product[0])
    return {"product": {"name": product_releases().name, "version": product[0], "said_by": product[1],
                        "ships": dict(row.ships) if row else {},
                        "checked": row.checked if row else "not in virt-doctor's release table"}}


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
                          "the cluster's Prometheus has it pending or firing; its PrometheusRule was not read: "
                          "virt-doctor's definition is used")
    if entry.name in snap.asked:  # an instance of it arrived (Alertmanager, a page): the cluster raised it
        return Definition(DEFAULT, entry.severity, own, threshold[1] if threshold else None, (), True,
                          "it is the alert asked about, so the cluster raises it; its PrometheusRule was not read: "
                          "virt-doctor's definition is used")
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
    or its operator's release is past the alert's removal. None when neither can be told (and why, when a
    version could not be compared)."""
    facts = dict(entry.versions)
    operator = operator_of(entry)
    upstream = upstream_versions(snap).get(operator)
    removed, introduced = facts.get("removed"), facts.get("introduced")
    retired = removed or facts.get("deprecated") or facts.get("replaced_by")
    if seen and retired:
        return False, f"not shipped by this cluster: its {operator} rules ({seen}) do not define it" + \
            (f" (removed in {said(removed)})" if removed else "")
    if isinstance(upstream, str):  # a product release the table does not know: evaluated, and why
        return (True if seen else None), f"{DEFAULT}: {upstream}, so whether it ships this alert is not known"
    gone = carries(removed, upstream) if removed and upstream is not None else None
    if gone and removed and upstream is not None:
        return False, f"not shipped by this cluster: removed in {operator} {said(removed)}, the cluster runs " \
            f"{upstream.said}"
    if seen:
        return True, f"{DEFAULT}: the cluster's {operator} rules do not define it" + \
            (f" (introduced in {said(introduced)})" if introduced else "")
    if introduced and upstream is not None and carries(introduced, upstream) is False:
        runs = upstream.said if upstream.line_only else f"{operator} {upstream.said}"
        return None, f"{DEFAULT}: {runs} predates it (introduced in {said(introduced)})"
    if removed and upstream is not None:
        return (True, f"{DEFAULT}: the cluster runs {upstream.said}, which still ships it (removed in "
                      f"{said(removed)})") if gone is False else \
            (None, f"{DEFAULT}: whether {upstream.said} still ships it is not known (removed in {said(removed)})")
    return None, ""


def carries(releases: str, upstream: Upstream) -> bool | None:
    """Whether the cluster's release has reached a change made in `releases` ('v1.9.0, v1.8.4': the first release
    of each line that has it; a line not named follows the earliest line named). None when it cannot be told:
    no release number, or only the line is known and the change came within that line."""
    version = release_key(upstream.version)
    named = [key for part in releases.split(",") if (key := release_key(part)) is not None]
    if version is None or not named:
        return None
    same_line = [key for key in named if key[:2] == version[:2]]
    if same_line:
        if upstream.line_only and same_line[0][2] > 0:
            return None  # a patch release of the line made the change; which patch the cluster runs is not known
        return version >= same_line[0]
    return version[:2] > min(named)[:2]
