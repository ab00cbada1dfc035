"""The dashboard: server-rendered pages (Jinja2) over the same store and view as the JSON API."""

from __future__ import annotations

import functools
import re
from collections import Counter
from datetime import datetime
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException as StarletteHTTPException

from virt_doctor.catalog import load_catalog
from virt_doctor.serve.render import TEMPLATES, aware, lasting, or_404
from virt_doctor.serve.service import Service
from virt_doctor.store import incidents as store
from virt_doctor.store import problems as problem_store

SEVERITIES = ("critical", "warning", "info")
STATES = ("firing", "resolved")


def telling_first(finding: dict[str, Any] | None) -> dict[str, Any] | None:
    """The finding with the evidence read first that is about its own subject (the taint on the node), then the
    rest in the order found."""
    if not finding:
        return finding
    subject = finding.get("subject") or {}
    ref = "/".join(p for p in (subject.get("kind"), subject.get("namespace"), subject.get("name")) if p)
    evidence = list(finding.get("evidence") or [])
    evidence.sort(key=lambda e: not (e.get("object") == ref and e.get("path")))
    return {**finding, "evidence": evidence}


def _position(findings: list[str], incident: Any) -> int:
    """Where an incident's finding stands in its problem (the root's own first; unknown last)."""
    return findings.index(incident.finding_id) if incident.finding_id in findings else len(findings)


def _runbook_steps(service: Service, alert: str, labels: dict[str, str]) -> dict[str, Any] | None:
    """An alert virt-doctor could not judge: its runbook's steps, filled from the alert's labels (and where the
    stack is installed) where they fit, for a person to run."""
    from virt_doctor.catalog.catalog import fill
    from virt_doctor.snapshot.discover import install_namespaces

    catalog = load_catalog()
    if alert not in catalog:
        return None
    entry = catalog.get(alert)
    current = service.view.current
    params = {**(install_namespaces(current.snapshot) if current and current.snapshot else {}),
              **{k: v for k, v in labels.items() if v}}
    return {"diagnosis": [{"title": s.title, "command": fill(s.command, params), "risk": s.risk}
                          for s in entry.diagnosis],
            "mitigation": [{"title": s.title, "command": fill(s.command, params), "risk": s.risk}
                           for s in entry.mitigation]}


BREAK_AT = re.compile(r"(?<=/)|(?<=[a-z])(?=[A-Z])")  # after a path's '/', between the words of a CamelCase name


def breakable(name: str | None) -> Markup:
    """A name or object path that may wrap at its word boundaries (and nowhere else): a narrow window wraps the
    table's cells instead of scrolling sideways; copying the name still gives it whole (<wbr> adds nothing)."""
    return Markup("<wbr>").join(escape(part) for part in BREAK_AT.split(name or ""))


def _why(service: Service) -> dict[str, str]:
    """Finding id -> why it belongs to its problem, from the newest evaluation."""
    current = service.view.current
    return {fid: why for p in current.report.problems for fid, why in p.why.items()} if current else {}


def add_routes(app: FastAPI, service: Service) -> None:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["lasting"] = lasting
    templates.env.filters["breakable"] = breakable
    templates.env.filters["utc"] = lambda moment: (aware(moment) or datetime.min).strftime("%Y-%m-%d %H:%M:%S UTC")

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        current = service.view.current
        return templates.TemplateResponse(request, name, {
            "evaluated_at": current.report.evaluated_at if current else None,
            "problems": service.problems(), **context}, status_code=status_code)

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException) -> Response:
        """A person's browser gets a page; the API and its clients get JSON."""
        if request.url.path.startswith(("/api/", "/static/")) or "text/html" not in request.headers.get("accept", ""):
            return await http_exception_handler(request, exc)
        return page(request, "error.html", status=exc.status_code, detail=str(exc.detail),
                    status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_path(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            return await request_validation_exception_handler(request, exc)
        return page(request, "error.html", status=404, detail=f"nothing at {request.url.path}", status_code=404)

    @app.get("/api", response_class=HTMLResponse, include_in_schema=False)
    def api(request: Request) -> HTMLResponse:
        """The JSON API's endpoints, served here (no page from the internet: a disconnected cluster sees it too)."""
        routes = [(", ".join(sorted(getattr(r, "methods", ()) or ())), getattr(r, "path", ""),
                   getattr(r, "summary", "") or "") for r in app.routes
                  if getattr(r, "include_in_schema", False) and getattr(r, "path", "").startswith("/")]
        return page(request, "api.html", routes=routes)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview(request: Request, state: str = "firing", severity: str = "", namespace: str = "",
                 component: str = "", alert: str = "") -> HTMLResponse:
        filters = store.Filters(state if state in STATES else "", severity, namespace, component, alert)
        with service.sessions() as session:
            shown = store.incidents(session, filters)
            counts = store.counts(session)
            every = store.incidents(session, store.Filters(limit=5000))
            problems_now = problem_store.problems(session)
            members: dict[str, list[Any]] = {}
            for i in every:
                if i.problem_key:
                    members.setdefault(i.problem_key, []).append(i)
            for row in problems_now:  # in the problem's order: the root's own finding first
                members.get(row.key, []).sort(key=functools.partial(_position, row.findings or []))
        options = {"namespace": sorted({i.namespace for i in every if i.namespace}),
                   "component": sorted({i.component for i in every if i.component}),
                   "alert": sorted({i.alertname for i in every})}
        current = service.view.current
        findings = Counter(f.severity for f in current.report.findings) if current else Counter()
        return page(request, "overview.html", incidents=shown, counts=counts, filters=filters, options=options,
                    severities=SEVERITIES, states=STATES, findings=findings, state=state, problems_now=problems_now,
                    members=members, why=_why(service))

    @app.get("/problems/{key}", response_class=HTMLResponse, include_in_schema=False)
    def problem(request: Request, key: str) -> HTMLResponse:
        with service.sessions() as session:
            found = or_404(problem_store.problem(session, key), f"problem {key}")
            members = problem_store.incidents_of(session, key)
            order = {fid: n for n, fid in enumerate(found.findings or ())}
            members.sort(key=lambda i: (i.state != "firing", order.get(i.finding_id, len(order))))  # lead first
        return page(request, "problem.html", problem=found, members=members, why=_why(service))

    @app.get("/incidents/{number}", response_class=HTMLResponse, include_in_schema=False)
    def incident(request: Request, number: int) -> HTMLResponse:
        with service.sessions() as session:
            found = or_404(store.incident(session, number), f"incident {number}")
            latest = telling_first(store.latest_finding(found))
            diagnoses = list(found.diagnoses)
            belongs = problem_store.problem(session, found.problem_key) if found.problem_key else None
        remediator = service.remediator
        runbook = _runbook_steps(service, found.alertname, found.labels or {}) if latest is None else None
        return page(request, "incident.html", incident=found, finding=latest, diagnoses=diagnoses, belongs=belongs,
                    runbook=runbook,
                    why=_why(service).get(found.finding_id, ""),
                    has_runbook=found.alertname in load_catalog(),
                    remediation={"live": bool(remediator and remediator.live),
                                 "can_apply": bool(remediator and remediator.can_apply)})

    @app.get("/runbooks", response_class=HTMLResponse, include_in_schema=False)
    def runbooks(request: Request) -> HTMLResponse:
        return page(request, "runbooks.html", entries=list(load_catalog()))

    @app.get("/runbooks/{alert}", response_class=HTMLResponse, include_in_schema=False)
    def runbook(request: Request, alert: str) -> HTMLResponse:
        if alert not in load_catalog():
            raise HTTPException(404, f"no runbook for {alert}")
        return page(request, "runbook.html", entry=load_catalog().get(alert).to_dict())

    @app.get("/coverage", response_class=HTMLResponse, include_in_schema=False)
    def coverage(request: Request) -> HTMLResponse:
        current = service.view.current
        rows = list(current.report.coverage) if current else []
        return page(request, "coverage.html", rows=rows,
                    evaluated=sum(1 for r in rows if r.status == "evaluated"), warnings=current.warnings if current else ())
