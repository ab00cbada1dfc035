"""Logs never hold a live scan up: the real API server asks a kubelet stand-in that answers 500 or never answers,
and a node that is not Ready is not asked; each log not read is named, with why, and changes no verdict."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest

from tests.live.apiserver import ApiServer, Loaded
from tests.live.conftest import now_for_live
from tests.live.kubelet import KubeletLogs
from virt_doctor.report.model import Report
from virt_doctor.scan import LiveOptions, ScanRequest, run_scan
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate
from virt_doctor.sources.live.read import LogLimits

Load = Callable[[Cluster], Loaded]
DEADLINE = 2.0  # each log read's, in these tests (the default is 5 s)


@pytest.fixture
def storm(cluster_in: Load) -> Cluster:
    """virt-handler crash-looping on all three nodes: each node has a handler's current and previous log and an
    HPP CSI pod's log to read (nine reads)."""
    cluster = simulate(nodes=3, vms=12, faults=["storm-handler-crashloop"], seed=17, at=now_for_live())
    cluster_in(cluster)
    return cluster


@pytest.fixture(params=["500", "hang"])
def sick(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KubeletLogs]:
    kubelet = KubeletLogs(tmp_path, answer=request.param)
    yield kubelet
    kubelet.stop()


def point_nodes_at(kube: ApiServer, cluster: Cluster, port: int) -> None:
    """Every node's kubelet endpoint (where the API server asks for logs) to this port."""
    patch = orjson.dumps({"status": {"daemonEndpoints": {"kubeletEndpoint": {"Port": port}}}})
    with kube.http() as http:
        for node in (o for o in cluster.objects() if o["kind"] == "Node"):
            answer = http.patch(f"/api/v1/nodes/{node['metadata']['name']}/status", content=patch,
                                headers={"Content-Type": "application/merge-patch+json"})
            assert answer.status_code == 200, answer.text


def scan(kube: ApiServer, cluster: Cluster, logs: LogLimits, workers: int = 4) -> tuple[Report, float]:
    started = time.monotonic()
    report = run_scan(ScanRequest(live=LiveOptions(kube.kubeconfig, workers=workers, logs=logs),
                                  at=cluster.at)).report
    return report, time.monotonic() - started


def verdicts(report: Report) -> set[tuple[str, str, str]]:
    return {(f.alert, f.subject.ref(), f.cause.id) for f in report.findings}


def not_checked(report: Report) -> dict[str, str]:
    """Evidence rows naming a log as not checked: object -> why."""
    return {e.object: e.note for f in report.findings for e in f.evidence if e.value == "not checked"}


def test_a_sick_kubelet_never_holds_the_scan_up(kube: ApiServer, storm: Cluster, sick: KubeletLogs) -> None:
    served, _ = scan(kube, storm, LogLimits(deadline=DEADLINE))
    handler_logs = [e for f in served.findings for e in f.evidence if e.path == "log virt-handler"]
    assert handler_logs and not not_checked(served)  # the stand-in kubelet served them
    point_nodes_at(kube, storm, sick.port)
    without, no_logs = scan(kube, storm, LogLimits(deadline=DEADLINE, budget=0))  # the same scan, no log read
    assert sick.requests == []
    report, took = scan(kube, storm, LogLimits(deadline=DEADLINE))
    # each node's first read before its others, four at a time: three nodes cost one deadline, not nine reads'
    assert took <= no_logs + DEADLINE + 1.5, (took, no_logs)
    assert verdicts(report) == verdicts(without)
    unread = not_checked(report)
    assert {o for o in unread if "/virt-handler-" in o} == {e.object for e in handler_logs}
    assert all("the kubelet on node worker-00" in why and "did not answer a log read" in why
               for why in unread.values()), unread
    said = [w for w in report.warnings if "not read: the kubelet on node" in w]
    assert len(said) == 3 and all("openshift-cnv/" in w for w in said)  # one per node, naming its logs


def test_after_one_failure_a_node_is_not_asked_again(kube: ApiServer, storm: Cluster, tmp_path: Path) -> None:
    failing = KubeletLogs(tmp_path, answer="500")
    try:
        point_nodes_at(kube, storm, failing.port)
        scan(kube, storm, LogLimits(deadline=DEADLINE), workers=1)
    finally:
        failing.stop()
    assert len(failing.requests) == 3  # nine reads wanted on three nodes: one each, none retried


def test_a_node_not_ready_is_not_asked_for_logs(kube: ApiServer, cluster_in: Load, kubelet: KubeletLogs) -> None:
    cluster = simulate(nodes=3, vms=12, faults=["storm-node-down"], seed=17, at=now_for_live())
    cluster_in(cluster)
    down = next(i.name for i in cluster.injected if i.fault == "storm-node-down")
    on_down = {o["metadata"]["name"] for o in cluster.objects()
               if o["kind"] == "Pod" and o["spec"].get("nodeName") == down}
    before = len(kubelet.requests)
    report, _ = scan(kube, cluster, LogLimits(deadline=DEADLINE))
    asked = {path.split("/")[3] for path in kubelet.requests[before:]}
    assert asked and not asked & on_down  # the Ready nodes' pods were asked, none on the node that is down
    said = [w for w in report.warnings if f"node {down} is not Ready" in w]
    assert len(said) == 1, report.warnings


def test_logs_are_read_while_the_rules_still_judge(kube: ApiServer, storm: Cluster, kubelet: KubeletLogs,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Each log a rule asks for is read at once, not after the first pass: by the time that pass has judged every
    alert (and before any log is waited for), the kubelet has been asked; the report is the same."""
    import virt_doctor.scan as scan_module
    from virt_doctor.report.model import finding_to_dict

    judge_all = scan_module.judge_all
    asked_in_first_pass: list[int] = []
    before = len(kubelet.requests)

    def then_look(snap, only=None):  # type: ignore[no-untyped-def]
        verdicts = judge_all(snap, only=only)
        if only is None:  # the first pass: the reads it started reach the kubelet with no one waiting for them
            ends = time.monotonic() + 10
            while len(kubelet.requests) == before and time.monotonic() < ends:
                time.sleep(0.01)
            asked_in_first_pass.append(len(kubelet.requests) - before)
        return verdicts

    reference, _ = scan(kube, storm, LogLimits(deadline=DEADLINE))
    before = len(kubelet.requests)
    monkeypatch.setattr(scan_module, "judge_all", then_look)
    report, _ = scan(kube, storm, LogLimits(deadline=DEADLINE))
    assert asked_in_first_pass and asked_in_first_pass[0] > 0
    assert [finding_to_dict(f) for f in report.findings] == [finding_to_dict(f) for f in reference.findings]
    assert report.warnings == reference.warnings


def test_only_the_alerts_whose_rules_read_logs_are_judged_again(kube: ApiServer, storm: Cluster,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The first pass judges every alert with no log; only the alerts whose rules asked for one are judged again
    (with the logs), and the report is the one a full evaluation of the final snapshot gives."""
    import virt_doctor.scan as scan_module
    from virt_doctor.report.model import finding_to_dict
    from virt_doctor.rules.engine import evaluate

    judged: list[list[str] | None] = []
    judge_all = scan_module.judge_all

    def recorded(snap, only=None):  # type: ignore[no-untyped-def]
        judged.append(None if only is None else list(only))
        return judge_all(snap, only=only)

    monkeypatch.setattr(scan_module, "judge_all", recorded)
    result = run_scan(ScanRequest(live=LiveOptions(kube.kubeconfig), at=storm.at))
    first, again = judged
    full = evaluate(result.snapshot)
    assert first is None and "HPPSharingPoolPathWithOS" in (again or [])  # its rule reads the CSI pods' logs
    assert len(again or []) < len(full.coverage) / 4  # everything once, then a few again
    assert [finding_to_dict(f) for f in result.report.findings] == [finding_to_dict(f) for f in full.findings]
    assert result.report.coverage == full.coverage and result.report.warnings == full.warnings
    # the final snapshot shares the first one's indexes (the logs joined it): it judges as one built afresh
    from virt_doctor.scan import read_live
    from virt_doctor.sources.load import snapshot_of

    live = read_live(LiveOptions(kube.kubeconfig), storm.at, None, "", None)
    fresh = evaluate(snapshot_of(live.raw, storm.at, None, "live"))
    shared = evaluate(live.snapshot)
    assert live.raw.logs and live.snapshot.source == snapshot_of(live.raw, storm.at, None, "live").source
    assert [finding_to_dict(f) for f in shared.findings] == [finding_to_dict(f) for f in fresh.findings]
    assert shared.coverage == fresh.coverage and shared.warnings == fresh.warnings
