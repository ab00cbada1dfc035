"""Faults between virt-doctor and the API server: retried within bounds, or the kind reported as not seen."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.live.apiserver import ApiServer, Loaded
from tests.live.conftest import now_for_live
from tests.live.faultproxy import Fault, FaultProxy, through
from virt_doctor.errors import InputError
from virt_doctor.report.match import matches
from virt_doctor.report.model import Report, finding_to_dict
from virt_doctor.rules.reads import kinds_read_by
from virt_doctor.scan import LiveOptions, ScanRequest, focus_for, run_scan
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate
from virt_doctor.sources.live import client as client_module
from virt_doctor.sources.live import list_body

Load = Callable[[Cluster], Loaded]


@pytest.fixture
def faulty(cluster_in: Load) -> Cluster:
    cluster = simulate(nodes=3, vms=12, faults=["handler-crashloop", "vm-missing-secret"], seed=17, at=now_for_live())
    cluster_in(cluster)
    return cluster


@pytest.fixture
def proxy(kube: ApiServer) -> Iterator[FaultProxy]:
    proxy = FaultProxy(kube.url, kube.ca)
    yield proxy
    proxy.stop()


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "BACKOFF", 0.05)


def scan(kubeconfig: str, cluster: Cluster, page: int = 500, consistent: bool = False) -> Report:
    return run_scan(ScanRequest(live=LiveOptions(kubeconfig, page=page, consistent=consistent), at=cluster.at)).report


def verdicts(report: Report) -> set[tuple[str, str, str]]:
    return {(f.alert, f.subject.ref(), f.cause.id) for f in report.findings}


def test_transient_faults_are_retried_and_change_nothing(kube: ApiServer, faulty: Cluster, proxy: FaultProxy,
                                                         tmp_path: Path) -> None:
    """Each list first answers 429 (Retry-After 1), then 500, then drops the connection, then works, slowly."""
    def decide(method: str, path: str, nth: int) -> Fault | None:
        if "limit=" not in path:  # the LISTs (discovery and logs pass untouched)
            return None
        return {1: Fault(status=429, retry_after="1"), 2: Fault(status=500), 3: Fault(drop=True)}.get(
            nth, Fault(delay=0.02))

    proxy.decide = decide
    direct = scan(kube.kubeconfig, faulty)
    faulted = scan(through(proxy, kube, tmp_path), faulty)
    assert verdicts(faulted) == verdicts(direct) and faulted.coverage == direct.coverage
    statuses = [status for _, _, status in proxy.seen]
    assert statuses.count(429) >= 10 and statuses.count(500) >= 10 and statuses.count(-1) >= 10
    # Retry-After was honoured: the second try of a list came a second after the 429, the later ones sooner
    pods = next(t for p, t in proxy.times.items() if p.startswith("/api/v1/pods?") and len(t) >= 4)
    assert pods[1] - pods[0] >= 0.95 and pods[2] - pods[1] < 0.9


def test_answers_cut_item_by_item_make_the_report_they_make_streamed(kube: ApiServer, faulty: Cluster,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The API server's LIST answers are cut into items, each parsed whole (list_body.py); streamed through ijson
    instead (as an answer not written compactly would be), they make the same report."""
    streamed: list[int] = []
    stream = list_body._streamed
    monkeypatch.setattr(list_body, "_streamed", lambda *args: streamed.append(1) or stream(*args))
    cut = scan(kube.kubeconfig, faulty)
    assert streamed == []  # every answer the real server wrote was cut item by item
    monkeypatch.setattr(list_body, "OPENING", re.compile(rb"(?!)"))  # no item seems to open: stream them all
    monkeypatch.setattr(list_body, "HEAD", 0)
    whole = scan(kube.kubeconfig, faulty)
    assert len(streamed) >= 20
    assert [finding_to_dict(f) for f in whole.findings] == [finding_to_dict(f) for f in cut.findings]
    assert whole.coverage == cut.coverage and cut.findings


def test_a_kind_that_keeps_failing_is_not_seen_and_says_why(kube: ApiServer, faulty: Cluster, proxy: FaultProxy,
                                                            tmp_path: Path) -> None:
    proxy.decide = lambda method, path, nth: Fault(status=503) if path.startswith("/api/v1/nodes") else None
    report = scan(through(proxy, kube, tmp_path), faulty)
    coverage = {c.alert: c for c in report.coverage}
    assert coverage["LowKVMNodesCount"].status == "skipped"
    assert coverage["LowKVMNodesCount"].reason == ("Node (cluster-wide) could not be listed (failed: list nodes: "
                                                   "list nodes: HTTP 503: injected after 5 tries)")
    # what did not need nodes is unchanged; nothing fires for the missing nodes
    direct = scan(kube.kubeconfig, faulty)
    assert verdicts(report) <= verdicts(direct) | {(a, s, "unknown") for a, s, _ in verdicts(direct)}
    assert coverage["VirtualMachineStuckInUnhealthyState"].status == "evaluated"


def test_an_expired_continue_token_restarts_the_list(kube: ApiServer, faulty: Cluster, proxy: FaultProxy,
                                                     tmp_path: Path) -> None:
    expired: list[str] = []

    def decide(method: str, path: str, nth: int) -> Fault | None:
        if "continue=" in path and path.startswith("/api/v1/pods") and not expired:
            expired.append(path)
            return Fault(status=410)
        return None

    proxy.decide = decide
    paged = scan(through(proxy, kube, tmp_path), faulty, page=7, consistent=True)
    assert expired, "the pods list was paged"
    assert verdicts(paged) == verdicts(scan(kube.kubeconfig, faulty))
    pods = [p for m, p, s in proxy.seen if p.startswith("/api/v1/pods?")]
    assert len(pods) > 4 and sum(1 for p in pods if "continue=" not in p) == 2  # listed again from the start


def test_reads_come_from_the_watch_cache_unless_consistent(kube: ApiServer, faulty: Cluster, proxy: FaultProxy,
                                                           tmp_path: Path) -> None:
    """By default each kind is one LIST at resourceVersion=0 (this server's cache answers it whole, limit or
    not); --consistent reads etcd page by page. Both give the same findings."""
    kubeconfig = through(proxy, kube, tmp_path)
    cached = scan(kubeconfig, faulty, page=7)
    lists = [p for _, p, _ in proxy.seen if "limit=7" in p]
    assert lists and all("resourceVersion=0" in p and "continue=" not in p for p in lists)
    assert len([p for p in lists if p.startswith("/api/v1/pods?")]) == 1
    proxy.seen.clear()
    consistent = scan(kubeconfig, faulty, page=7, consistent=True)
    lists = [p for _, p, _ in proxy.seen if "limit=7" in p]
    assert lists and not any("resourceVersion=" in p for p in lists)
    assert len([p for p in lists if p.startswith("/api/v1/pods?")]) > 1  # paged
    assert verdicts(cached) == verdicts(consistent) and cached.coverage == consistent.coverage
    # every object, page after page, of built-in kinds (metadata before the items) and custom resources (after)
    counts = [Counter(o["kind"] for o in run_scan(ScanRequest(live=LiveOptions(
        kubeconfig, page=7, consistent=flag), at=faulty.at)).snapshot.objects) for flag in (False, True)]
    assert counts[0] == counts[1] and counts[0]["VirtualMachine"] > 7 and counts[0]["Pod"] > 7


def test_a_diagnosis_lists_only_its_instances_namespace_or_node(kube: ApiServer, faulty: Cluster,
                                                                 proxy: FaultProxy, tmp_path: Path) -> None:
    """diagnose's fast path: a VM alert reads the VM's namespace (and nodes' events by a field selector), a node
    alert the objects on that node (label and field selectors) and the install namespaces whole; each gives the
    full scan's finding."""
    kubeconfig = through(proxy, kube, tmp_path)
    full = scan(kubeconfig, faulty)
    by_alert = {f.alert: f for f in full.findings}
    vm, orphan = by_alert["VirtualMachineStuckInUnhealthyState"], by_alert["OrphanedVirtualMachineInstances"]
    for finding, labels in ((vm, {"namespace": vm.subject.namespace, "name": vm.subject.name}),
                            (orphan, {"node": orphan.labels["node"], "namespace": faulty.install_ns})):
        proxy.seen.clear()
        options = LiveOptions(kubeconfig, kinds=kinds_read_by([finding.alert]), focus=focus_for(finding.alert, labels))
        one = run_scan(ScanRequest(live=options, at=faulty.at, only=[finding.alert])).report
        assert [f for f in one.findings if matches(f, labels)] == [finding]
        lists = [unquote(p) for _, p, _ in proxy.seen if "limit=" in p]
        everywhere = [p for p in lists if p.startswith(("/api/v1/pods?", "/apis/kubevirt.io/v1/virtualmachineinstances?",
                                                        "/api/v1/events?"))]
        if finding is vm:
            assert [p for p in lists if f"/namespaces/{vm.subject.namespace}/pods?" in p]
            assert [p for p in everywhere if "pods?" in p or "instances?" in p] == []
            assert [p for p in everywhere if "events?" in p] and \
                all("fieldSelector=involvedObject.kind=Node" in p for p in everywhere if "events?" in p)
        else:
            node = orphan.labels["node"]
            assert {p.split("?")[0] for p in everywhere if "events?" not in p} == \
                {"/api/v1/pods", "/apis/kubevirt.io/v1/virtualmachineinstances"}
            assert all(f"spec.nodeName={node}" in p or f"kubevirt.io/nodeName={node}" in p
                       for p in everywhere if "events?" not in p)
            assert [p for p in lists if p.startswith(f"/api/v1/namespaces/{faulty.install_ns}/pods?")]
            assert [p for p in lists if p.startswith("/api/v1/nodes?")] == \
                [p for p in lists if p.startswith("/api/v1/nodes?") and f"metadata.name={node}" in p] != []


@pytest.mark.parametrize("labels", [{"node": "worker-0,spec.nodeName!=x"}, {"node": "Worker_0"}])
def test_a_label_that_is_not_a_name_is_refused_not_put_in_a_selector(labels: dict[str, str]) -> None:
    with pytest.raises(InputError, match="not a node name"):
        focus_for("OrphanedVirtualMachineInstances", labels)
