"""Live scans through a real kube-apiserver: the same findings as a dump of the same cluster."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tests.casedumps import CASE_IDS, CASES, read_case
from tests.live.apiserver import ApiServer, Loaded
from tests.live.conftest import now_for_live
from virt_doctor.report.match import matches
from virt_doctor.report.model import Finding, Report, finding_to_dict
from virt_doctor.rules.reads import kinds_read_by
from virt_doctor.rules.registry import REGISTRY
from virt_doctor.scan import LiveOptions, ScanRequest, focus_for, run_scan
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import write_dump
from virt_doctor.timeutil import parse_duration

Load = Callable[[Cluster], Loaded]
HCO_CRD_VERSION = "1.15"  # ../shared/kube/crds/hyperconvergeds.hco.kubevirt.io.yaml: release-1.15


def case_cluster(case: dict) -> Cluster:  # type: ignore[type-arg]
    return simulate(nodes=case.get("nodes", 3), vms=12, faults=[case["fault"]], seed=7, at=now_for_live(),
                    fault_age=parse_duration(str(case.get("age", "30m"))),
                    install_ns=case.get("install_namespace", "openshift-cnv"))


def verdicts(report: Report, loaded: Loaded | None = None) -> set[tuple[str, ...]]:
    """(alert, subject, cause, state, severity) of each finding; a live one's names made from uids (prime-<uid>)
    mapped back. (`since` is compared beside it, through the times the server stamped for creation and deletion;
    the evidence's rows in `evidence_shapes`; the evidence's values are not: they quote those stamps.)"""
    return {(f.alert, loaded.simulated(f.subject.ref()) if loaded else f.subject.ref(), f.cause.id, f.state,
             f.severity) for f in report.findings}


STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
AGE = re.compile(r"\b\d+(\.\d+)? ?(s|sec|min|m|h|d|seconds?|minutes?|hours?|days?)\b( ago)?")
LOG_FILE = re.compile(r"\S*?(?=namespaces/\S+/logs/)")  # a must-gather's image directory before a pod log's path


def evidence_shapes(report: Report, loaded: Loaded | None = None) -> dict[tuple[str, str, str], list[tuple[str, ...]]]:
    """Each finding's evidence rows, in order: object, field, value and note. What only the source decides is
    masked on both sides: a time the API server stamped (creation, deletion) and ages counted from one, and the
    image directory a must-gather files a pod log under."""
    def ref(text: str) -> str:
        return loaded.simulated(text) if loaded else text

    def shown(text: str) -> str:
        text = LOG_FILE.sub("", ref(text))
        return AGE.sub("<age>", STAMP.sub("<time>", text)) if STAMP.search(text) or " ago" in text else text

    return {(f.alert, ref(f.subject.ref()), f.cause.id): [(ref(e.object or ""), ref(e.path or ""), shown(str(e.value)),
                                                           shown(e.note or "")) for e in f.evidence]
            for f in report.findings}


def live_scan(server: ApiServer, cluster: Cluster, **options: object) -> Report:
    return run_scan(ScanRequest(live=LiveOptions(server.kubeconfig), at=cluster.at, **options)).report  # type: ignore[arg-type]


def dump_scan(cluster: Cluster, where: Path) -> Report:
    """The same cluster as a dump that holds everything a live scan reads (VM namespaces, Leases, the HCO list)."""
    cluster.vms_details = True
    path = write_dump(cluster, where, "json", also_collect=frozenset({"Lease", "HyperConverged", "NMState"}))
    return run_scan(ScanRequest(source=path, at=cluster.at)).report


@pytest.mark.slow
@pytest.mark.parametrize("case_file", CASES, ids=CASE_IDS)
def test_live_scan_finds_what_the_dump_scan_finds(case_file: Path, kube: ApiServer, cluster_in: Load,
                                                  tmp_path: Path) -> None:
    case = read_case(case_file)
    cluster = case_cluster(case)
    from_dump = dump_scan(cluster, tmp_path / "dump")
    loaded = cluster_in(cluster)
    live = live_scan(kube, cluster)
    expect = case["expect"]
    newer = case.get("introduced_in_hco")
    gone = case.get("field_gone_from_crd")  # an old release's field the shared (current) CRD no longer has
    if newer or gone:  # the API server's CRD does not have the fields the fault sets: it prunes them
        assert not newer or str(newer) > HCO_CRD_VERSION
        assert not [f for f in live.findings if f.alert == expect["alert"]], "a pruned field made a finding"
        assert expect["cause"] in {f.cause.id for f in from_dump.findings if f.alert == expect["alert"]}
        from_dump = replace(from_dump, findings=tuple(f for f in from_dump.findings if f.alert != expect["alert"]))
    assert verdicts(live, loaded) == verdicts(from_dump), {"only live": verdicts(live, loaded) - verdicts(from_dump),
                                                            "only dump": verdicts(from_dump) - verdicts(live, loaded)}
    live_since = {(f.alert, loaded.simulated(f.subject.ref()), f.cause.id): f.since for f in live.findings}
    for f in from_dump.findings:  # the same moment, or the one the server stamped for it (creation, deletion)
        assert f.since in loaded.simulated_times(live_since[(f.alert, f.subject.ref(), f.cause.id)]), \
            (f.alert, f.subject.ref(), f.since, live_since[(f.alert, f.subject.ref(), f.cause.id)])
    live_rows, dump_rows = evidence_shapes(live, loaded), evidence_shapes(from_dump)
    assert live_rows == dump_rows, {k: (live_rows.get(k), dump_rows.get(k)) for k in live_rows.keys() | dump_rows.keys()
                                    if live_rows.get(k) != dump_rows.get(k)}
    if not (newer or gone):
        assert expect["cause"] in {f.cause.id for f in live.findings if f.alert == expect["alert"]}
    assert live.source["type"] == "live"
    assert {c.alert for c in live.coverage if c.status == "skipped" and "Prometheus" not in c.reason
            and not c.reason.startswith("not shipped by this cluster")} <= \
        {"HPPSharingPoolPathWithOS"}  # a live scan sees every kind; only the log-tail limit remains
    assert_focused_diagnoses_agree(kube, cluster, live, expect["alert"])


def page_labels(finding: Finding) -> dict[str, str]:
    """The labels an alert for this finding carries: its subject's namespace and name, and the finding's own."""
    return {"alertname": finding.alert, **({"namespace": finding.subject.namespace} if finding.subject.namespace
                                            else {}), "name": finding.subject.name, **finding.labels}


def assert_focused_diagnoses_agree(server: ApiServer, cluster: Cluster, full: Report, alert: str) -> None:
    """Each finding of the case's alert, when its rule is bounded by its labels, diagnosed from the bounded reads
    alone (its namespace, or the objects on its node), is the full scan's finding, evidence and all (every
    bounded alert has cases of its own, so each is checked on each of its causes)."""
    for finding in full.findings:
        if finding.alert != alert or not REGISTRY.get(finding.alert).focus:  # type: ignore[union-attr]
            continue
        labels = page_labels(finding)
        focus = focus_for(finding.alert, labels)
        assert focus.namespace or focus.node, (finding.alert, labels)
        options = LiveOptions(server.kubeconfig, kinds=kinds_read_by([finding.alert]), focus=focus)
        one = run_scan(ScanRequest(live=options, at=cluster.at, only=[finding.alert])).report
        got = [finding_to_dict(f) for f in one.findings if matches(f, labels)]
        want = [finding_to_dict(finding)]
        assert got == want, (finding.alert, focus, "\n".join(difflib.unified_diff(
            json.dumps(want, indent=1, default=str).splitlines(), json.dumps(got, indent=1, default=str).splitlines(),
            "full scan", "focused", lineterm="")))
