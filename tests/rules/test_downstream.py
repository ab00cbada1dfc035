"""OpenShift Virtualization reports its own version numbers: a product release is mapped to the upstream releases
it ships (catalog/releases) before a retired alert's removal is compared with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from virt_doctor.catalog import load_catalog
from virt_doctor.catalog.releases import product_releases
from virt_doctor.rules.definitions import definition_of, upstream_versions
from virt_doctor.scan import ScanRequest, run_scan
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import write_dump
from virt_doctor.snapshot import Snapshot
from virt_doctor.sources.load import load_dump

# (alert, product release, shipped?) for every retired alert; None: the change came in a patch release of the line
# the product ships, which patch runs is not known, so the alert is evaluated and the coverage says so
RETIRED = [
    ("SingleStackIPv6Unsupported", "4.18.3", True),  # HCO v1.14 line; removed in v1.16.0
    ("SingleStackIPv6Unsupported", "4.20.1", False),  # HCO v1.16 line
    ("VirtApiRESTErrorsHigh", "4.18.3", True),  # kubevirt v1.4 line; removed v1.6.0 and v1.5.2
    ("VirtApiRESTErrorsHigh", "4.19.2", None),  # kubevirt v1.5 line: v1.5.2 removed it, the line's patch unknown
    ("VirtApiRESTErrorsHigh", "4.20.1", False),
    ("VirtControllerRESTErrorsHigh", "4.20.1", False),
    ("VirtHandlerRESTErrorsHigh", "4.20.1", False),
    ("VirtOperatorRESTErrorsHigh", "4.17.5", True),
    ("KubevirtVmHighMemoryUsage", "4.18.3", True),  # kubevirt v1.4 line; removed v1.5.0
    ("KubevirtVmHighMemoryUsage", "4.19.2", False),
    ("KubeVirtComponentExceedsRequestedCPU", "4.16.9", True),  # kubevirt v1.2 line; removed v1.3.0
    ("KubeVirtComponentExceedsRequestedCPU", "4.17.5", False),
    ("KubeVirtComponentExceedsRequestedMemory", "4.17.5", False),
    ("KubeMacPoolDuplicateMacsFound", "4.20.1", True),  # CNAO v0.100 line; left in v0.102.0
]


def downstream(tmp_path: Path, product: str, operators_too: bool = True) -> Snapshot:
    """A cluster whose HCO reports the product version in status.versions, and whose operators report it too
    (downstream builds) or report nothing yet."""
    cluster = simulate(nodes=3, vms=4, seed=7)
    fields = {"KubeVirt": "observedKubeVirtVersion", "CDI": "observedVersion", "NetworkAddonsConfig": "observedVersion",
              "SSP": "observedVersion", "HostPathProvisioner": "observedVersion"}
    for obj in cluster.objects():
        status = obj.setdefault("status", {})
        if obj["kind"] == "HyperConverged":
            status["versions"] = [{"name": "operator", "version": product}]
        elif obj["kind"] in fields:
            if operators_too:
                status[fields[obj["kind"]]] = f"v{product}"
            else:
                status.pop(fields[obj["kind"]], None)
    return load_dump(write_dump(cluster, tmp_path / f"dump-{product}-{operators_too}"))


@pytest.mark.parametrize(("alert", "product", "shipped"), RETIRED, ids=[f"{a}@{p}" for a, p, _ in RETIRED])
def test_a_retired_alert_is_compared_with_what_the_product_ships(alert: str, product: str, shipped: bool | None,
                                                                 tmp_path: Path) -> None:
    catalog = load_catalog()
    for operators_too in (True, False):  # the operators' own numbers downstream, or only HCO's
        snap = downstream(tmp_path, product, operators_too)
        definition = definition_of(snap, catalog.get(alert), catalog)
        assert definition.shipped is shipped, definition.note
        assert f"OpenShift Virtualization {product}, which ships" in definition.note
        if shipped is False:
            assert definition.note.startswith("not shipped by this cluster: removed in")


def test_the_product_version_maps_every_operator(tmp_path: Path) -> None:
    snap = downstream(tmp_path, "4.18.3")
    upstream = upstream_versions(snap)
    row = product_releases().row("4.18.3")
    assert row is not None and row.checked == "hyperconverged-cluster-operator release-1.14 hack/config"
    assert {op: u.version for op, u in upstream.items() if not isinstance(u, str)} == dict(row.ships)
    report = run_scan(ScanRequest(source=snap.source.location)).report
    assert report.source["versions"]["hyperconverged-cluster-operator"] == "4.18.3"  # as the cluster said it
    assert report.source["product"] == {"name": "OpenShift Virtualization", "version": "4.18.3",
                                        "said_by": "HyperConverged status.versions", "ships": dict(row.ships),
                                        "checked": row.checked}


def test_a_product_release_not_in_the_table_is_evaluated_and_says_why(tmp_path: Path) -> None:
    snap = downstream(tmp_path, "4.31.0")
    catalog = load_catalog()
    definition = definition_of(snap, catalog.get("SingleStackIPv6Unsupported"), catalog)
    assert definition.shipped is None
    assert "OpenShift Virtualization 4.31.0 is not in virt-doctor's release table" in definition.note
    report = run_scan(ScanRequest(source=snap.source.location, only=["SingleStackIPv6Unsupported"])).report
    line = next(c for c in report.coverage if c.alert == "SingleStackIPv6Unsupported")
    assert line.status == "evaluated" and "not in virt-doctor's release table" in line.reason


def test_upstream_versions_are_compared_as_they_are(tmp_path: Path) -> None:
    """An upstream install (KubeVirt v1.5.2, no product version) is compared directly, release by release."""
    snap = load_dump(write_dump(simulate(nodes=3, vms=4, seed=7), tmp_path / "dump"))
    catalog = load_catalog()
    assert definition_of(snap, catalog.get("VirtApiRESTErrorsHigh"), catalog).shipped is False  # v1.5.2 removed it
    assert definition_of(snap, catalog.get("KubevirtVmHighMemoryUsage"), catalog).shipped is False
    assert "product" not in run_scan(ScanRequest(source=snap.source.location)).report.source


def test_an_alert_newer_than_the_product_says_which_release_predates_it(tmp_path: Path) -> None:
    snap = downstream(tmp_path, "4.18.3")
    catalog = load_catalog()
    definition = definition_of(snap, catalog.get("NoReadyVirtAPI"), catalog)
    assert definition.shipped is None  # evaluated all the same: the condition is real
    assert definition.note == ("virt-doctor's definition: OpenShift Virtualization 4.18.3, which ships kubevirt v1.4 "
                               "(hyperconverged-cluster-operator release-1.14 hack/config) predates it (introduced "
                               "in v1.9.0 (in the v1.8 line: v1.8.4))")


def test_an_alert_that_arrived_is_shipped_whatever_the_release_says(tmp_path: Path) -> None:
    """A release past the alert's removal does not fire it, so a scan skips it; but an instance that arrived (a page,
    Alertmanager) proves the cluster's rules still raise it, and it is diagnosed."""
    cluster = simulate(nodes=3, vms=4, seed=7, faults=["ipv6-single-stack"])
    hco = next(o for o in cluster.objects() if o["kind"] == "HyperConverged")
    hco["status"]["versions"] = [{"name": "operator", "version": "4.20.1"}]  # HCO v1.16: removed there
    dump = write_dump(cluster, tmp_path / "dump")
    alert = "SingleStackIPv6Unsupported"
    scanned = run_scan(ScanRequest(source=dump, only=[alert])).report
    assert scanned.findings == ()
    assert next(c for c in scanned.coverage if c.alert == alert).reason.startswith("not shipped by this cluster")
    asked = run_scan(ScanRequest(source=dump, only=[alert], asked={alert: {"alertname": alert}})).report
    assert [f.cause.id for f in asked.findings] == ["ipv6-single-stack"]
    assert "it is the alert asked about, so the cluster raises it" in next(c for c in asked.coverage if c.alert == alert).reason
