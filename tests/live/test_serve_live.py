"""`serve`'s live view on the real API server: listed once, then kept by watches. A change in the cluster is
seen and evaluated without waiting for the interval; a watch that drops or is refused is survived (readyz says
degraded, then recovers by itself); a watch too old to resume lists again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live.apiserver import ApiServer, Loaded, load, wipe
from tests.live.conftest import now_for_live
from tests.live.faultproxy import Fault, FaultProxy, through
from tests.live.kubelet import KubeletLogs
from tests.waiting import eventually
from virt_doctor.scan import LiveOptions, ScanRequest, run_scan
from virt_doctor.serve.metrics import ServiceMetrics
from virt_doctor.serve.service import Service
from virt_doctor.serve.view import ClusterView
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate
from virt_doctor.sources.live.client import KubeClient
from virt_doctor.sources.live.connection import connect
from virt_doctor.sources.live.watch import WatchCache
from virt_doctor.store.database import open_engine
from virt_doctor.store.incidents import incidents

HCO = "/apis/hco.kubevirt.io/v1beta1/namespaces/openshift-cnv/hyperconvergeds/kubevirt-hyperconverged"
PATCH = {"Content-Type": "application/merge-patch+json"}



@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return simulate(nodes=3, vms=10, faults=["vm-missing-secret"], seed=5, at=now_for_live())


@pytest.fixture(scope="module")
def loaded(kube: ApiServer, kubelet: KubeletLogs, cluster: Cluster) -> Iterator[Loaded]:
    """The cluster, loaded once for the module (each test puts back what it changes)."""
    done = load(kube, list(cluster.objects()), kubelet_port=kubelet.port)
    kubelet.logs = cluster.logs
    yield done
    wipe(kube, done.paths)


@pytest.fixture
def proxy(kube: ApiServer) -> Iterator[FaultProxy]:
    proxy = FaultProxy(kube.url, kube.ca)
    yield proxy
    proxy.stop()


@pytest.fixture
def watched(kube: ApiServer, loaded: Loaded, cluster: Cluster, proxy: FaultProxy,
            tmp_path: Path) -> Iterator[tuple[Service, WatchCache]]:
    api = KubeClient(connect(through(proxy, kube, tmp_path)))
    metrics = ServiceMetrics()
    changed = threading.Event()
    cache = WatchCache(api, on_change=changed.set, on_restart=metrics.watch_restarts.inc)
    view = ClusterView(lambda: run_scan(ScanRequest(live=LiveOptions(client=api, cached=cache.raw), at=cluster.at)))
    service = Service(view, open_engine(str(tmp_path / "db")), interval=3600, metrics=metrics, changed=changed,
                      prepare=cache.start, source_problems=cache.problems)
    service.start()
    assert eventually(lambda: view.current is not None), view.error
    yield service, cache
    service.stop()
    cache.stop()
    proxy.cut_watches()


def alerts(service: Service) -> set[str]:
    current = service.view.current
    return {f.alert for f in current.report.findings} if current else set()


def states(service: Service) -> set[str]:
    """The states of virt-doctor's own UnsupportedHCOModification incidents."""
    with service.sessions() as s:
        return {i.state for i in incidents(s) if i.alertname == "UnsupportedHCOModification"}


def test_the_watched_view_is_the_scans_and_follows_changes(kube: ApiServer, cluster: Cluster,
                                                           watched: tuple[Service, WatchCache]) -> None:
    service, _ = watched
    assert service.view.current is not None
    scanned = run_scan(ScanRequest(live=LiveOptions(kube.kubeconfig), at=cluster.at)).report
    assert {(f.alert, f.subject.ref(), f.cause.id) for f in service.view.current.report.findings} == \
        {(f.alert, f.subject.ref(), f.cause.id) for f in scanned.findings}
    assert "UnsupportedHCOModification" not in alerts(service)
    with kube.http() as http:  # someone patches KubeVirt through HCO's back door
        done = http.patch(HCO, headers=PATCH, json={"metadata": {"annotations": {
            "kubevirt.kubevirt.io/jsonpatch": '[{"op": "add", "path": "/spec/configuration/x", "value": 1}]'}}})
        assert done.status_code == 200, done.text
        # seen and evaluated within seconds, though the interval is an hour
        assert eventually(lambda: "UnsupportedHCOModification" in alerts(service), 20)
        assert eventually(lambda: states(service) == {"firing"}, 10)  # and virt-doctor's own incident opened
        http.patch(HCO, headers=PATCH, json={"metadata": {"annotations": {"kubevirt.kubevirt.io/jsonpatch": None}}})
        assert eventually(lambda: "UnsupportedHCOModification" not in alerts(service), 20)
        assert eventually(lambda: states(service) == {"resolved"}, 10)


def test_dropped_and_refused_watches_are_survived(kube: ApiServer, proxy: FaultProxy,
                                                   watched: tuple[Service, WatchCache]) -> None:
    service, cache = watched
    refusing = threading.Event()
    refusing.set()
    assert eventually(lambda: len(proxy.watching) == len(cache.scopes) > 10), (  # every scope's watch is live
        len(proxy.watching), len(cache.scopes), cache.problems())
    proxy.decide = lambda method, path, nth: Fault(status=503) if refusing.is_set() and "watch=true" in path else None
    proxy.cut_watches()
    assert eventually(lambda: any(p.startswith("watch of ") for p in service.problems()), 20)
    assert "virt_doctor_watch_restarts_total" in "".join(
        f"{m.name}_total" for m in service.metrics.registry.collect() if m.name == "virt_doctor_watch_restarts")
    refusing.clear()
    assert eventually(lambda: cache.problems() == [], 40)
    assert eventually(lambda: service.problems() == [], 10)
    with kube.http() as http:  # and changes flow again
        http.patch(HCO, headers=PATCH, json={"metadata": {"annotations": {"ssp.kubevirt.io/jsonpatch": "[]"}}})
        assert eventually(lambda: "UnsupportedHCOModification" in alerts(service), 20)
        http.patch(HCO, headers=PATCH, json={"metadata": {"annotations": {"ssp.kubevirt.io/jsonpatch": None}}})


def test_a_watch_too_old_to_resume_lists_again(kube: ApiServer, proxy: FaultProxy,
                                                watched: tuple[Service, WatchCache]) -> None:
    service, cache = watched
    gone: list[str] = []

    def decide(method: str, path: str, nth: int) -> Fault | None:
        if "watch=true" in path and "hyperconvergeds" in path and not gone:
            gone.append(path)
            return Fault(status=410)
        return None

    lists_before = sum(1 for _, p, _ in proxy.seen if "hyperconvergeds?" in p and "watch=true" not in p)
    proxy.decide = decide
    proxy.cut_watches()
    assert eventually(lambda: bool(gone), 20)
    assert eventually(lambda: sum(1 for _, p, _ in proxy.seen if "hyperconvergeds?" in p and "watch=true" not in p)
                      > lists_before, 20)
    assert cache.restarts >= 1
    with kube.http() as http:
        http.patch(HCO, headers=PATCH, json={"metadata": {"annotations": {"kubevirt.kubevirt.io/jsonpatch": "[]"}}})
        assert eventually(lambda: "UnsupportedHCOModification" in alerts(service), 20)
        http.patch(HCO, headers=PATCH, json={"metadata": {"annotations": {"kubevirt.kubevirt.io/jsonpatch": None}}})
