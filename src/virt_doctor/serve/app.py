"""The HTTP service: Alertmanager's webhook, health and metrics, the JSON API (OpenAPI at /docs) and the
dashboard (pages.py). create_app() builds it around a Service; cli/serve.py runs it under uvicorn."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from virt_doctor.catalog import load_catalog
from virt_doctor.errors import InputError
from virt_doctor.report.model import Finding, finding_from_dict, report_to_dict
from virt_doctor.serve import pages
from virt_doctor.serve.alertmanager import PayloadError, parse_notification
from virt_doctor.serve.remediation import plan_to_dict
from virt_doctor.serve.render import (
    STATIC,
    catalog_entry_to_dict,
    incident_to_dict,
    or_404,
    problem_row_to_dict,
)
from virt_doctor.serve.service import Service, StoreUnavailable
from virt_doctor.store import incidents as store
from virt_doctor.store import problems as problem_store


def create_app(service: Service, start_background: bool = True) -> FastAPI:
    from virt_doctor.assist.http import mcp_route
    from virt_doctor.assist.server import build_server
    from virt_doctor.serve.assist import WatchedView

    # the MCP tools over the same view (streamable HTTP at /mcp), behind the service's MCP token
    mcp, mcp_running = mcp_route(build_server(WatchedView(service, service.reads)), service.mcp_token, host="")

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if start_background:
            service.start()
        async with mcp_running():
            yield
        service.stop()

    app = FastAPI(title="virt-doctor", summary="KubeVirt / OpenShift Virtualization alerts, diagnosed.",
                  version="1", docs_url=None, openapi_url="/api/v1/openapi.json", redoc_url=None,
                  lifespan=lifespan)
    app.state.service = service
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.router.routes.append(mcp)

    @app.post("/api/v1/alertmanager", summary="Alertmanager webhook receiver (payload version 4)")
    async def alertmanager(request: Request) -> JSONResponse:
        started = time.perf_counter()
        code, body = await _receive(service, request)
        service.metrics.webhook_requests.labels(str(code)).inc()
        service.metrics.webhook_seconds.observe(time.perf_counter() - started)
        return JSONResponse(body, status_code=code)

    @app.get("/healthz", response_class=PlainTextResponse, summary="The process is alive")
    def healthz() -> str:
        return "ok\n"

    @app.get("/readyz", summary="Ready: the cluster has been read and the store answers")
    def readyz() -> JSONResponse:
        problems = service.problems()
        return JSONResponse({"status": "degraded" if problems else "ok", "problems": problems,
                             "leader": service.leading()},
                            status_code=503 if problems else 200)

    @app.get("/metrics", summary="The service's own metrics (Prometheus text format)")
    def metrics() -> Response:
        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/api/v1/incidents", summary="Incidents: firing first, then by severity, newest first")
    def list_incidents(state: str = "", severity: str = "", namespace: str = "", component: str = "",
                       alert: str = "", limit: int = Query(500, ge=1, le=5000)) -> list[dict[str, Any]]:
        with service.sessions() as session:
            wanted = "" if state == "all" else state  # all, or empty: any state
            found = store.incidents(session, store.Filters(wanted, severity, namespace, component, alert, limit))
            return [incident_to_dict(i, timeline=False) for i in found]

    @app.get("/api/v1/incidents/{number}", summary="One incident with its timeline of diagnoses")
    def one_incident(number: int) -> dict[str, Any]:
        with service.sessions() as session:
            found = or_404(store.incident(session, number), f"incident {number}")
            return incident_to_dict(found, timeline=True)

    @app.get("/api/v1/problems", summary="Problems: the broken things the findings group into, worst first")
    def list_problems(state: str = "firing", limit: int = Query(200, ge=1, le=5000)) -> list[dict[str, Any]]:
        with service.sessions() as session:
            rows = problem_store.problems(session, "" if state == "all" else state, limit)
            return [problem_row_to_dict(r) for r in rows]

    @app.get("/api/v1/problems/{key}", summary="One problem with its incidents")
    def one_problem(key: str) -> dict[str, Any]:
        with service.sessions() as session:
            row = or_404(problem_store.problem(session, key), f"problem {key}")
            return problem_row_to_dict(row, problem_store.incidents_of(session, key))

    @app.get("/api/v1/report", summary="The newest evaluation, in the report contract (DESIGN.md)")
    def report() -> dict[str, Any]:
        current = service.view.current
        if current is None:
            raise HTTPException(503, "the cluster has not been read yet")
        return report_to_dict(current.report)

    @app.get("/api/v1/runbooks", summary="Every alert virt-doctor has a runbook for")
    def runbooks() -> list[dict[str, Any]]:
        return [catalog_entry_to_dict(e, brief=True) for e in load_catalog()]

    @app.get("/api/v1/runbooks/{alert}", summary="One alert's runbook")
    def runbook(alert: str) -> dict[str, Any]:
        if alert not in load_catalog():
            raise HTTPException(404, f"no runbook for {alert}")
        return catalog_entry_to_dict(load_catalog().get(alert), brief=False)

    remediator = service.remediator
    assert remediator is not None  # Service makes one

    def incident_finding(number: int) -> Finding:
        """The incident's finding: as the current evaluation has it (fresher), else its newest stored one."""
        with service.sessions() as session:
            found = or_404(store.incident(session, number), f"incident {number}")
            stored = store.latest_finding(found)
        if stored is None:
            raise HTTPException(409, f"incident {number} has no diagnosis with a finding: nothing to plan")
        current = service.view.current
        fresh = next((f for f in current.report.findings if f.id == stored["id"]), None) if current else None
        return fresh or finding_from_dict(stored, f"incident {number}")

    @app.get("/api/v1/incidents/{number}/plan", summary="The incident's mitigation as actions (no preview)")
    def plan(number: int) -> dict[str, Any]:
        return plan_to_dict(remediator.plan(incident_finding(number), with_preview=False), remediator)

    @app.post("/api/v1/incidents/{number}/preview", summary="The plan, each action sent as a server-side dry run")
    async def preview(number: int) -> dict[str, Any]:
        if not remediator.live:
            raise HTTPException(409, "a preview needs the live cluster (this service serves a dump)")
        finding = incident_finding(number)
        plans = await run_in_threadpool(remediator.plan, finding, True)
        return plan_to_dict(plans, remediator)

    @app.post("/api/v1/incidents/{number}/apply", summary="Carry one step out (remediate token required)")
    async def apply_step(number: int, request: Request, step: str = Query(...)) -> JSONResponse:
        if not remediator.can_apply:
            return JSONResponse({"error": "applying from the service is off: start serve on the live cluster "
                                          "with --remediate-token-file"}, status_code=403)
        if not remediator.auth.allows(request.headers.get("authorization")):
            return JSONResponse({"error": "missing or wrong remediate token"}, status_code=401)
        finding = incident_finding(number)
        try:
            done = await run_in_threadpool(remediator.apply_step, finding, step)
        except InputError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(done.to_dict(), status_code=200 if done.outcome == "applied" else 409)

    pages.add_routes(app, service)
    return app


async def _receive(service: Service, request: Request) -> tuple[int, dict[str, Any]]:
    if not service.auth.allows(request.headers.get("authorization")):
        return 401, {"error": "missing or wrong credentials"}
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > service.max_body:
        return 413, {"error": f"body of {declared} bytes is over the limit of {service.max_body}"}
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > service.max_body:
            return 413, {"error": f"body is over the limit of {service.max_body} bytes"}
        chunks.append(chunk)
    try:
        notification = parse_notification(b"".join(chunks))
    except PayloadError as exc:
        return 400, {"error": str(exc)}
    try:
        touched = await run_in_threadpool(service.receive, notification)
    except StoreUnavailable as exc:
        return 503, {"error": f"the store is unavailable, retry ({exc})"}
    return 200, {"incidents": [{"id": i.id, "alertname": i.alertname, "state": i.state,
                                "verdict": i.verdict,
                                "cause": i.cause_id} for i in touched]}
