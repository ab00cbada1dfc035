"""The catalog covers every alert of the runbooks, completely, and agrees with the rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.catalog.seeds import BEYOND_THE_SEEDS
from virt_doctor.catalog.catalog import RISKS, SEVERITIES, fill, load_catalog, parse_entry
from virt_doctor.errors import CatalogError, UnknownAlertError
from virt_doctor.rules.all import FAMILIES
from virt_doctor.rules.component_pods import COMPONENT_ALERTS
from virt_doctor.rules.registry import REGISTRY

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
# The alert the 000 seed calls OrphanedVirtualMachineImages is OrphanedVirtualMachineInstances.
DEEP = ("OrphanedVirtualMachineInstances", "VirtualMachineStuckOnNode", "VirtualMachineStuckInUnhealthyState")


def seed_alert_names() -> set[str]:
    """Alert names as the seeds spell them: the 55 of the collection, and the three full runbooks."""
    collection = next(SEEDS.glob("003_*.txt"))
    names = {line.strip() for line in collection.read_text().splitlines() if re.fullmatch(r"[A-Z][A-Za-z0-9]+", line.strip())}
    for seed in sorted(SEEDS.glob("00[012]_*.txt")):
        title = seed.read_text().splitlines()[0].lstrip("# ").strip()
        names.add("OrphanedVirtualMachineInstances" if title == "OrphanedVirtualMachineImages" else title)
    return names


SEED_ALERTS = Path(__file__).resolve().parents[1] / "fixtures" / "seed_alerts.txt"


def recorded_seed_alert_names() -> set[str]:
    """The seeds' alert names as recorded in the repository (the seeds live outside it)."""
    return {line.strip() for line in SEED_ALERTS.read_text().splitlines() if line.strip() and not line.startswith("#")}


def test_the_recorded_alert_names_match_the_seeds() -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"runbook seeds not next to this checkout ({SEEDS}); tests use {SEED_ALERTS.name}")
    assert recorded_seed_alert_names() == seed_alert_names()


def test_every_seed_alert_is_in_the_catalog() -> None:
    names = recorded_seed_alert_names()
    assert len(names) == 57  # 55 in 003, plus StuckOnNode and StuckInUnhealthyState (Orphaned is in both)
    catalog = load_catalog()
    missing = names - set(catalog.names())
    assert not missing
    assert set(catalog.names()) == names | {"VirtHandlerDown"} | BEYOND_THE_SEEDS
    assert len(catalog) == 58 + len(BEYOND_THE_SEEDS) == 85  # the 85: 58 + the 27 upstream adds


@pytest.mark.parametrize("name", sorted(load_catalog().names()))
def test_entry_is_complete(name: str) -> None:
    entry = load_catalog().get(name)
    assert entry.severity in SEVERITIES
    assert entry.meaning and entry.impact and entry.escalation and entry.summary
    assert entry.causes and entry.diagnosis and entry.mitigation
    assert all(step.risk in RISKS for step in entry.mitigation)
    assert all(step.command.strip() for step in entry.diagnosis + entry.mitigation)
    assert entry.cause("unknown")
    names = set(load_catalog().names())
    assert set(entry.related) <= names, set(entry.related) - names
    data = entry.to_dict()
    for key in ("name", "severity", "for", "component", "meaning", "impact", "causes", "diagnosis", "mitigation",
                "escalation", "related"):
        assert data[key] not in (None, "", []), key
    assert {"id", "title", "recognise"} <= set(data["causes"][0])
    assert {"title", "command"} <= set(data["diagnosis"][0])
    assert {"title", "command", "risk"} <= set(data["mitigation"][0])


def test_severity_and_duration_match_the_upstream_facts() -> None:
    catalog = load_catalog()
    facts = {"VirtHandlerDown": ("critical", "10m"), "OrphanedVirtualMachineInstances": ("warning", "10m"),
             "VirtualMachineStuckOnNode": ("warning", "5m"), "VirtualMachineStuckInUnhealthyState": ("warning", "10m"),
             "LowVirtAPICount": ("warning", "60m"), "HCOInstallationIncomplete": ("info", "1h"),
             "OutdatedVirtualMachineInstanceWorkloads": ("warning", "24h"), "CDINotReady": ("critical", "10m"),
             # kubevirt/kubevirt pkg/monitoring/rules/alerts/virt-api.go and virt-handler.go
             "NoReadyVirtAPI": ("critical", "10m"), "LowReadyVirtAPICount": ("warning", "10m"),
             "NoReadyVirtHandler": ("critical", "10m"), "LowReadyVirtHandlerCount": ("warning", "10m"),
             "NoLeadingVirtController": ("critical", "10m"), "VirtLauncherPodsStuckFailed": ("critical", "10m"),
             "GuestVCPUQueueHighWarning": ("warning", "0"), "GuestVCPUQueueHighCritical": ("critical", "0"),
             "HCOOperatorConditionsUnhealthy": ("critical", "10m")}  # HCO health_alerts.go (also warning)
    for name, (severity, hold) in facts.items():
        entry = catalog.get(name)
        assert (entry.severity, entry.for_) == (severity, hold), name


WORD = re.compile(r"IPv\d|[A-Z]+s?(?=[A-Z]|$)|[A-Z]?[a-z0-9]+|[A-Z]+")


def _snake(name: str) -> str:
    """VirtAPIDown -> virt_api_down, KubeVirtNoAvailableNodesToRunVMs -> kube_virt_no_available_nodes_to_run_vms."""
    return "_".join(word.lower() for word in WORD.findall(name))


def test_module_naming_examples() -> None:
    assert _snake("VirtAPIDown") == "virt_api_down"
    assert _snake("KubeVirtNoAvailableNodesToRunVMs") == "kube_virt_no_available_nodes_to_run_vms"
    assert _snake("SingleStackIPv6Unsupported") == "single_stack_ipv6_unsupported"
    assert _snake("VMCannotBeEvicted") == "vm_cannot_be_evicted"


def test_rules_are_one_module_per_alert_named_after_it_or_a_row_of_the_component_table() -> None:
    import virt_doctor.rules.all  # noqa: F401

    catalog = load_catalog()
    table = {row.alert for row in COMPONENT_ALERTS}
    for spec in REGISTRY:
        assert spec.alert in catalog
        if spec.module == "virt_doctor.rules.component_pods":
            assert spec.alert in table
            continue
        family, module = spec.module.split(".")[-2:]
        assert family in FAMILIES
        assert module == _snake(spec.alert), (spec.alert, spec.module)
    assert table <= {spec.alert for spec in REGISTRY}
    assert len(table) == 19


def test_every_cause_a_rule_can_emit_is_in_its_catalog_entry() -> None:
    import virt_doctor.rules.all  # noqa: F401

    catalog = load_catalog()
    for spec in REGISTRY:
        entry = catalog.get(spec.alert)
        assert spec.causes, f"{spec.alert} declares no causes"
        for cause in spec.causes:
            entry.cause(cause)  # raises KeyError if missing


def test_unknown_alert_suggests_close_names() -> None:
    with pytest.raises(UnknownAlertError) as info:
        load_catalog().get("VirtHandlerDwn")
    assert "VirtHandlerDown" in info.value.suggestions
    assert load_catalog().get("virthandlerdown").name == "VirtHandlerDown"


def test_schema_violations_are_refused() -> None:
    good = load_catalog().get("VirtHandlerDown").to_dict()
    raw = {**good, "for": good["for"]}
    parse_entry("VirtHandlerDown", raw)
    with pytest.raises(CatalogError, match="differs from the file name"):
        parse_entry("Other", raw)
    with pytest.raises(CatalogError, match="kebab-case"):
        parse_entry("VirtHandlerDown", {**raw, "causes": [{**raw["causes"][0], "id": "Not_Kebab"}]})
    with pytest.raises(CatalogError, match="risk"):
        parse_entry("VirtHandlerDown", {**raw, "mitigation": [{**raw["mitigation"][0], "risk": "yolo"}]})
    with pytest.raises(CatalogError, match="not a mitigation id"):
        parse_entry("VirtHandlerDown", {**raw, "causes": [{**c, "fixes": ["nope"]} for c in raw["causes"]]})
    with pytest.raises(CatalogError, match="missing"):
        parse_entry("VirtHandlerDown", {k: v for k, v in raw.items() if k != "impact"})


def test_fill_replaces_known_placeholders_only() -> None:
    assert fill("kubectl get vm <vm> -n <namespace> <other>", {"vm": "a", "namespace": "b"}) == \
        "kubectl get vm a -n b <other>"


def test_loaded_catalog_is_frozen() -> None:
    entry = load_catalog().get("VirtHandlerDown")
    with pytest.raises(AttributeError):
        entry.severity = "info"  # type: ignore[misc]
    assert isinstance(entry.causes, tuple)


def test_version_facts_are_well_formed_and_name_alerts_that_exist() -> None:
    """Where the catalog says which releases ship an alert, it names the operator, and a replacement it names is
    a real upstream alert name; a bad `versions` field is refused."""
    catalog = load_catalog()
    with_versions = [e for e in catalog if e.versions]
    assert len(with_versions) >= 21
    for entry in with_versions:
        data = dict(entry.versions)
        assert data.get("shipped_by") and (set(data) - {"shipped_by"}), entry.name
        assert all(v.startswith(("v", "after v")) for k, v in data.items() if k in ("introduced", "removed",
                                                                                  "deprecated")), entry.name
    removed = {e.name for e in with_versions if dict(e.versions).get("removed")}
    assert removed >= {"VirtApiRESTErrorsHigh", "KubevirtVmHighMemoryUsage", "SingleStackIPv6Unsupported"}
    raw = {**yaml_entry("VirtApiRESTErrorsHigh"), "versions": {"shipped": "kubevirt"}}
    with pytest.raises(CatalogError, match="versions: a mapping of shipped_by"):
        parse_entry("VirtApiRESTErrorsHigh", raw)


def yaml_entry(name: str) -> dict:  # type: ignore[type-arg]
    import yaml

    from virt_doctor.catalog import catalog as module

    return yaml.safe_load((Path(module.__file__).parent / "data" / f"{name}.yaml").read_text())  # type: ignore[no-any-return]
