"""Every cause of every rule, on a dump the simulator built for it (tests/cases/<Alert>/<case>.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.casedumps import CASE_IDS, CASES, build_case, read_case
from tests.conftest import SimulateFn, findings_for, scan


@pytest.mark.parametrize("case_file", CASES, ids=CASE_IDS)
def test_cause_is_diagnosed(case_file: Path, simulated: SimulateFn) -> None:
    case = read_case(case_file)
    expect = case["expect"]
    assert case_file.parent.name == expect["alert"]
    path, cluster = build_case(case, simulated)
    injected = [i for i in cluster.injected if i.fault == case["fault"].split(":")[0]]
    assert len(injected) == 1, "the fault should target exactly one subject"
    target = injected[0]
    report = scan(path)

    fields = {"namespace": target.namespace, "name": target.name, "install_namespace": cluster.install_ns}
    subject = (expect["subject_kind"], expect.get("subject_namespace", "{namespace}").format(**fields),
               expect.get("subject_name", "{name}").format(**fields))
    matching = [f for f in findings_for(report, expect["alert"])
                if (f.subject.kind, f.subject.namespace, f.subject.name) == subject]
    assert matching, f"no {expect['alert']} finding on {subject}; " \
                     f"got {[(f.alert, f.subject.ref(), f.cause.id) for f in report.findings]}"
    finding = matching[0]
    assert finding.cause.id == expect["cause"], [e.note or e.value for e in finding.evidence]
    assert finding.state == expect["state"]
    for words in expect.get("summary_contains", []):
        assert words.format(**fields) in finding.summary, finding.summary
    for words in expect.get("remediation_contains", []):
        assert any(words.format(**fields) in step.command for step in finding.remediation), \
            [step.command for step in finding.remediation]
    assert finding.evidence, "a diagnosis names its evidence"
    assert finding.remediation, "a diagnosis proposes remediation"
    # commands are filled with the real names, never left as placeholders the rule knows
    for step in finding.remediation:
        for placeholder in ("<namespace>", "<vm>", "<node>", "<kubevirt-namespace>", "<cdi-namespace>",
                            "<hco-namespace>", "<cnao-namespace>", "<ssp-namespace>", "<hpp-namespace>", "<pod>",
                            "<missing-name>", "<secret-or-configmap>"):
            assert placeholder not in step.command, step.command
    # a step meant for the failing pod never names a healthy one
    ready = {o["metadata"]["name"] for o in cluster.objects() if o.get("kind") == "Pod" and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in o.get("status", {}).get("conditions", []))}
    for step in finding.remediation:
        words = step.command.split()
        if "failing" in step.title and words[1:3] == ["delete", "pod"] and not words[3].startswith("-"):
            assert words[3] not in ready, f"{step.title}: {step.command} names a ready pod"
    # the alert fires only for the injected subject
    others = [f for f in findings_for(report, expect["alert"]) if f is not finding]
    assert not [f for f in others if f.subject.kind == expect["subject_kind"] and expect.get("single", True)], \
        f"unexpected extra findings: {[(f.subject.ref(), f.cause.id) for f in others]}"


def test_every_cause_of_the_upstream_additions_has_a_simulated_case() -> None:
    """Each cause of the alerts added beyond the seeds (but 'unknown') is produced by a simulator fault: an object
    case here, or a Prometheus-backed one in tests/prometheus."""
    import virt_doctor.rules.all  # noqa: F401  (registers)
    from tests.catalog.seeds import BEYOND_THE_SEEDS
    from tests.prometheus.metric_faults import ALONE, METRIC_FAULTS
    from virt_doctor.rules.registry import REGISTRY

    cased = {(read_case(p)["expect"]["alert"], read_case(p)["expect"]["cause"]) for p in CASES}
    cased |= {pair for pairs in (*METRIC_FAULTS.values(), *ALONE.values()) for pair in pairs}
    wanted = {(alert, cause) for alert in BEYOND_THE_SEEDS for cause in REGISTRY.rules[alert].causes
              if cause != "unknown" and not REGISTRY.rules[alert].module.endswith("component_pods")}
    # (the component table's rows share one diagnosis, whose causes the seed alerts' cases cover)
    assert wanted - cased == set()
