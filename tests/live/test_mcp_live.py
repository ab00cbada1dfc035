"""The MCP tools on a live cluster (the real kube-apiserver), as deploy's reader role allows: `virt-doctor mcp` on
stdio gives the scan's findings, diagnoses an instance and plans a fix whose dry run the role refuses (said, not
crashed); `serve`'s /mcp answers from its watched view without listing again. The API server's audit log shows
only reads, and writes sent as dry runs."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from mcp import Client

from tests.assist.mcpclient import http, stdio
from tests.live.apiserver import ApiServer, Loaded
from tests.live.conftest import now_for_live
from tests.live.rbac import grant, kubeconfig_for, reader_role_for
from tests.prometheus.conftest import free_port
from tests.waiting import eventually
from virt_doctor.report.model import Report
from virt_doctor.scan import LiveOptions, ScanRequest, ScanResult, run_scan
from virt_doctor.serve.app import create_app
from virt_doctor.serve.remediation import Remediator
from virt_doctor.serve.service import Service
from virt_doctor.serve.view import ClusterView
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate
from virt_doctor.sources.live.client import KubeClient
from virt_doctor.sources.live.connection import connect
from virt_doctor.sources.live.watch import WatchCache
from virt_doctor.store.database import open_engine

Load = Callable[[Cluster], Loaded]
STUCK = {"namespace": "vms-000", "name": "rhel9-00011"}  # the VM the missing Secret keeps from starting


@pytest.fixture(scope="module")
def faulty() -> Cluster:
    return simulate(nodes=3, vms=12, faults=["handler-crashloop", "vm-missing-secret", "component-crashloop:virt-api",
                                             "operator-lease-stale"], seed=11, at=now_for_live())


def audit_events(kube: ApiServer, user: str) -> list[dict[str, Any]]:
    """The API server's own record of every request the user made (one event per stage; the final one kept)."""
    audit = kube.dir.parent / "audit.log"
    events = {}
    for line in audit.read_text().splitlines():
        event = json.loads(line) if line else {}
        if event.get("user", {}).get("username") == user:
            events[event["auditID"]] = event
    return list(events.values())


WHO_AM_I = "/apis/authentication.k8s.io/v1/selfsubjectreviews"  # a question the server answers, nothing stored


def only_reads(events: list[dict[str, Any]], reads: frozenset[str] = frozenset({"get", "list"}),
               asks_who: bool = False) -> None:
    """Every request a read; a write only as a dry run (and refused: the role may not even try it). `asks_who`:
    serve's remediator names itself in its audit trail by a SelfSubjectReview (a create that stores nothing)."""
    writes = [e for e in events if e["verb"] not in reads and not (asks_who and e["requestURI"] == WHO_AM_I)]
    for event in writes:
        assert "dryRun=All" in event["requestURI"], event["verb"] + " " + event["requestURI"]
        assert event.get("responseStatus", {}).get("code") == 403, event["requestURI"]
    assert {e["verb"] for e in events} & reads


def findings_of(report: Report) -> set[tuple[str, str, str]]:
    return {(f.alert, f.subject.ref(), f.cause.id) for f in report.findings}


def test_every_tool_over_stdio_under_the_reader_role(kube: ApiServer, cluster_in: Load, faulty: Cluster,
                                                     tmp_path: Path) -> None:
    cluster_in(faulty)
    grant(kube, reader_role_for("assistant"))
    admin = run_scan(ScanRequest(live=LiveOptions(kube.kubeconfig), at=faulty.at)).report
    at = faulty.at.isoformat().replace("+00:00", "Z")
    audit_log = tmp_path / "audit.jsonl"
    params = stdio("--kubeconfig", kubeconfig_for(kube, "assistant", tmp_path), "--audit-log", str(audit_log))

    progress: list[tuple[float, float | None, str | None]] = []

    async def listed(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    async def session() -> dict[str, Any]:
        async with Client(params) as client:
            restart = next(f for f in admin.findings if f.alert == "NoReadyVirtAPI")
            return {"list": await client.call_tool("list_alerts", {}),
                    "explain": await client.call_tool("explain_alert", {"alert": "NoReadyVirtAPI"}),
                    "scan": await client.call_tool("scan", {"at": at}, progress_callback=listed),
                    "namespace": await client.call_tool("scan", {"at": at, "namespace": "vms-000"}),
                    "diagnose": await client.call_tool("diagnose_alert", {
                        "alert": "VirtualMachineStuckInUnhealthyState", "labels": STUCK, "at": at}),
                    "plan": await client.call_tool("fix_plan", {"finding": restart.id, "at": at}),
                    "gone": await client.call_tool("scan", {"source": str(tmp_path / "no-dump")})}

    got = asyncio.run(session())
    for name in ("list", "explain", "scan", "namespace", "diagnose", "plan"):
        assert not got[name].is_error, (name, got[name].content[0].text)
    assert got["list"].structured_content["count"] == 85
    assert got["explain"].structured_content["name"] == "NoReadyVirtAPI"
    # the scan is the admin's scan: same findings (alert, subject, cause), same coverage, nothing missing
    scanned = got["scan"].structured_content
    assert {(f["alert"], f"{f['subject']['kind']}/{f['subject']['namespace']}/{f['subject']['name']}".replace("//", "/"),
             f["cause"]["id"]) for f in scanned["findings"]} == findings_of(admin)
    assert [(c["alert"], c["status"]) for c in scanned["coverage"]] == [(c.alert, c.status) for c in admin.coverage]
    assert scanned["source"]["type"] == "live"
    # the live read's progress, kind by kind, as MCP progress notifications (the client asked for them)
    assert len(progress) > 10 and progress[-1][0] == progress[-1][1] and str(progress[0][2]).startswith("listed ")
    assert {f["subject"]["namespace"] for f in got["namespace"].structured_content["findings"]} == {"vms-000"}
    # one instance diagnosed with the bounded reads: it holds, for the missing Secret
    [verdict] = got["diagnose"].structured_content["verdicts"]
    assert verdict["verdict"] == "holds"
    [finding] = got["diagnose"].structured_content["findings"]
    assert finding["cause"]["id"] == "missing-secret-or-configmap" and finding["subject"]["name"] == STUCK["name"]
    # the plan: previewed on the live cluster, the dry run refused by the reader role and said so — never applied
    plan = got["plan"].structured_content
    assert plan["live"] is True and plan["applied"] is False and plan["plans"]
    for step in plan["plans"]:
        assert step["preview"]["accepted"] is False and step["preview"]["status"] == 403
        assert "forbidden" in step["preview"]["error"].lower(), step["preview"]["error"]
    assert "dry run refused (HTTP 403)" in got["plan"].content[0].text
    records = [json.loads(line) for line in audit_log.read_text().splitlines()]
    assert records and {r["mode"] for r in records} == {"preview"}
    assert {r["who"] for r in records} == {"assistant (virt-doctor mcp)"}
    assert got["gone"].is_error and got["gone"].content[0].text == f"{tmp_path / 'no-dump'}: no such file or directory"
    only_reads(audit_events(kube, "assistant"))


@pytest.fixture
def served(kube: ApiServer, cluster_in: Load, faulty: Cluster, tmp_path: Path) -> Iterator[tuple[str, Service]]:
    """serve's service on the live cluster as the reader role, its app (with /mcp) under uvicorn on loopback."""
    cluster_in(faulty)
    grant(kube, reader_role_for("mcpserve"))
    api = KubeClient(connect(kubeconfig_for(kube, "mcpserve", tmp_path)))
    changed = threading.Event()
    cache = WatchCache(api, on_change=changed.set)

    def evaluate() -> ScanResult:
        return run_scan(ScanRequest(live=LiveOptions(client=api, cached=cache.raw), at=faulty.at))

    engine = open_engine(str(tmp_path / "db"))
    service = Service(ClusterView(evaluate), engine, interval=3600, changed=changed, prepare=cache.start,
                      source_problems=cache.problems, remediator=Remediator(engine, api, evaluate),
                      reads="the live cluster, listed once then watched")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert eventually(lambda: service.view.current is not None, 60), service.view.error
        yield f"http://127.0.0.1:{port}/mcp", service
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        cache.stop()
        api.close()


def test_serve_answers_from_its_watched_view_without_listing_again(kube: ApiServer, faulty: Cluster,
                                                                   served: tuple[str, Service]) -> None:
    url, service = served
    time.sleep(1)  # the watches settle: what follows must not list
    listed_before = sum(1 for e in audit_events(kube, "mcpserve") if e["verb"] == "list")
    current = service.view.current
    assert current is not None
    restart = next(f for f in current.report.findings if f.alert == "NoReadyVirtAPI")

    async def session() -> dict[str, Any]:
        async with Client(http(url)) as client:
            return {"scan": await client.call_tool("scan", {}),
                    "diagnose": await client.call_tool("diagnose_alert", {
                        "alert": "VirtualMachineStuckInUnhealthyState", "labels": STUCK}),
                    "plan": await client.call_tool("fix_plan", {"finding": restart.id}),
                    "at": await client.call_tool("scan", {"at": "2026-01-01T00:00:00Z"})}

    got = asyncio.run(session())
    assert [f["id"] for f in got["scan"].structured_content["findings"]] == [f.id for f in current.report.findings]
    assert got["diagnose"].structured_content["verdicts"][0]["verdict"] == "holds"
    plan = got["plan"].structured_content
    assert plan["live"] is True and all(p["preview"]["status"] == 403 for p in plan["plans"]) and plan["plans"]
    assert got["at"].is_error and "serve answers from its newest evaluation" in got["at"].content[0].text
    events = audit_events(kube, "mcpserve")
    assert sum(1 for e in events if e["verb"] == "list") == listed_before  # the warm cache, not another list
    only_reads(events, frozenset({"get", "list", "watch"}), asks_who=True)
