"""Remediation in the service, on the real API server: the incident's plan and its dry-run preview, an apply that
needs the remediate token, and the opt-in policy acting by itself within its hourly budget — all audited."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.live.apiserver import ApiServer, Loaded
from tests.live.conftest import now_for_live
from tests.waiting import eventually
from virt_doctor.errors import InputError
from virt_doctor.scan import LiveOptions, ScanRequest, ScanResult, run_scan
from virt_doctor.serve.app import create_app
from virt_doctor.serve.auth import WebhookAuth
from virt_doctor.serve.remediation import PolicyRule, Remediator, load_policy
from virt_doctor.serve.service import Service
from virt_doctor.serve.view import ClusterView
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate
from virt_doctor.sources.live.client import KubeClient
from virt_doctor.sources.live.connection import connect
from virt_doctor.sources.live.watch import WatchCache
from virt_doctor.store.database import open_engine
from virt_doctor.store.schema import AuditEntry

Load = Callable[[Cluster], Loaded]
HCO = "/apis/hco.kubevirt.io/v1beta1/namespaces/openshift-cnv/hyperconvergeds/kubevirt-hyperconverged"
JSONPATCH = "kubevirt.kubevirt.io/jsonpatch"
TOKEN = "remediate-7f2c9a"


def annotations(kube: ApiServer) -> dict[str, str]:
    with kube.http() as http:
        return http.get(HCO).json()["metadata"].get("annotations") or {}  # type: ignore[no-any-return]


@contextlib.contextmanager
def running(kube: ApiServer, cluster: Cluster, db: Path, policy: tuple[PolicyRule, ...] = ()) -> Iterator[Service]:
    api = KubeClient(connect(kube.kubeconfig))
    changed = threading.Event()
    cache = WatchCache(api, on_change=changed.set)

    def evaluate() -> ScanResult:
        return run_scan(ScanRequest(live=LiveOptions(client=api, cached=cache.raw), at=cluster.at))

    engine = open_engine(str(db))
    service = Service(ClusterView(evaluate), engine, interval=3600, changed=changed, prepare=cache.start,
                      source_problems=cache.problems,
                      remediator=Remediator(engine, api, evaluate, WebhookAuth(token=TOKEN), policy, "test-policy"))
    service.start()
    try:
        assert eventually(lambda: service.view.current is not None), service.view.error
        yield service
    finally:
        service.stop()
        cache.stop()
        api.close()


@pytest.fixture
def patched(cluster_in: Load) -> Cluster:
    cluster = simulate(nodes=3, vms=6, faults=["hco-jsonpatch"], seed=31, at=now_for_live())
    cluster_in(cluster)
    return cluster


def audit(service: Service) -> list[AuditEntry]:
    with service.sessions() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_the_incident_page_plans_previews_and_applies_with_the_token(kube: ApiServer, patched: Cluster,
                                                                    tmp_path: Path) -> None:
    with running(kube, patched, tmp_path / "store.db") as service:
        web = TestClient(create_app(service, start_background=False))
        assert eventually(lambda: any(i["alertname"] == "UnsupportedHCOModification"
                                      for i in web.get("/api/v1/incidents").json()))
        number = next(i["id"] for i in web.get("/api/v1/incidents").json()
                      if i["alertname"] == "UnsupportedHCOModification")
        plan = web.get(f"/api/v1/incidents/{number}/plan").json()
        [step] = plan["steps"]
        assert step["step"] == "remove-before-upgrade" and step["action"]["type"] == "annotate"
        assert plan["can_preview"] and plan["can_apply"]
        page = web.get(f"/incidents/{number}").text
        assert 'data-step="remove-before-upgrade"' in page and "Preview (dry run)" in page and 'name="token"' in page

        before = annotations(kube)
        previewed = web.post(f"/api/v1/incidents/{number}/preview").json()["steps"][0]["preview"]
        assert previewed["accepted"] and any(JSONPATCH in line and line.startswith("-") for line in previewed["diff"])
        assert annotations(kube) == before  # a dry run changes nothing

        assert web.post(f"/api/v1/incidents/{number}/apply", params={"step": step["step"]}).status_code == 401
        assert web.post(f"/api/v1/incidents/{number}/apply", params={"step": step["step"]},
                        headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert JSONPATCH in annotations(kube)
        done = web.post(f"/api/v1/incidents/{number}/apply", params={"step": step["step"]},
                        headers={"Authorization": f"Bearer {TOKEN}"})
        assert done.status_code == 200 and done.json()["outcome"] == "applied", done.text
        assert JSONPATCH not in annotations(kube)
        modes = [(e.mode, e.step) for e in audit(service)]
        assert modes == [("preview", "remove-before-upgrade"), ("apply", "remove-before-upgrade")]
        assert all("admin" in e.who for e in audit(service)) and TOKEN not in str([e.request for e in audit(service)])
        # the incident closes once the watches see the change
        assert eventually(lambda: web.get(f"/api/v1/incidents/{number}").json()["state"] == "resolved", 30)


def test_the_policy_acts_by_itself_within_its_hourly_budget(kube: ApiServer, patched: Cluster, tmp_path: Path) -> None:
    policy = (PolicyRule("UnsupportedHCOModification", ("remove-before-upgrade",), per_hour=1),)
    with running(kube, patched, tmp_path / "store.db", policy) as service:
        assert eventually(lambda: JSONPATCH not in annotations(kube), 30)  # the first evaluation fixed it
        assert [e.mode for e in audit(service)] == ["apply"] and "policy test-policy" in audit(service)[0].who
        with kube.http() as http:  # someone puts it back: the budget (1 an hour) is spent
            http.patch(HCO, headers={"Content-Type": "application/merge-patch+json"},
                       json={"metadata": {"annotations": {JSONPATCH: '[{"op":"add","path":"/spec/x","value":1}]'}}})
        assert eventually(lambda: [e.mode for e in audit(service)] == ["apply", "refused"], 30), \
            [e.mode for e in audit(service)]
        assert "an hour" in audit(service)[1].outcome and JSONPATCH in annotations(kube)


@pytest.mark.parametrize(("text", "says"), [
    ("rules: [{alert: NoSuchAlert, steps: [x]}]", "NoSuchAlert"),
    ("rules: [{alert: UnsupportedHCOModification, steps: [review-patch]}]",
     "rules[0].steps: 'review-patch' is not an automatable step of UnsupportedHCOModification"),
    ("rules: [{alert: UnsupportedHCOModification, steps: [remove-before-upgrade], max_per_hour: 0}]",
     "rules[0].max_per_hour"),
    ("rules: []", "expected `rules:`"),
])
def test_a_bad_policy_is_refused_naming_the_field(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_policy(path)
    assert says in str(caught.value)
