"""virt-doctor as an MCP server (the official SDK): the tools of tools.py with their argument and result schemas,
the runbooks as resources, and every failure a tool error of one line — the CLI's own message — never a crash."""


import logging
from functools import partial
from typing import Annotated, Any

import anyio.from_thread
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.mcpserver.resources import FunctionResource
from mcp_types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from pydantic import Field, ValidationError

from virt_doctor import __version__
from virt_doctor.assist import results, tools
from virt_doctor.assist.workspace import Workspace
from virt_doctor.catalog import load_catalog
from virt_doctor.errors import UnknownAlertError, VirtDoctorError
from virt_doctor.sources.live.read import Progress

log = logging.getLogger("virt_doctor.assist")
RUNBOOK_URI = "virt-doctor://runbooks/{alert}"
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

AlertName = Annotated[str, Field(description="The alert's name, as `alertname` says it (case-insensitive), e.g. "
                                             "VirtualMachineStuckOnNode.")]
At = Annotated[str | None, Field(description="Evaluation time, RFC 3339. Default: now for the live cluster; a dump's "
                                             "collection time.")]


class DoctorServer(MCPServer[Any]):
    """An MCPServer whose tool errors are one line: the message the CLI prints for the same mistake."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
                        ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            return failed(one_line(name, exc))


def failed(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def one_line(tool: str, exc: ToolError) -> str:
    """What went wrong, in one line: a virt-doctor error's own message, the arguments a schema refused (field and
    why), an unreadable file; anything else is a bug, said as such (its traceback goes to the server's log)."""
    cause = exc.__cause__
    if isinstance(cause, VirtDoctorError):
        return str(cause)
    if isinstance(cause, ValidationError):
        return f"{tool}: " + "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'arguments'}: {error['msg']}" for error in cause.errors())
    if isinstance(cause, OSError):
        return f"{cause.filename or ''}: {cause.strerror or cause}".lstrip(": ")
    if cause is None:  # the SDK's own (an unknown tool)
        return str(exc)
    log.error("tool %s failed", tool, exc_info=cause)
    return f"{tool}: internal error ({type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}); " \
           "this is a bug in virt-doctor"


def reporter(ctx: Context[Any, Any]) -> Progress:
    """A live read's progress (each kind listed) as the request's MCP progress notifications — sent only when the
    client asked for them; the tool runs in a worker thread, the notification on the server's loop."""
    def report(done: int, total: int, what: str) -> None:
        anyio.from_thread.run(partial(ctx.report_progress, done, total, f"listed {what}"))
    return report


def answered(answer: tools.Answer) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=answer.text)], structured_content=answer.data)


def build_server(workspace: Workspace) -> DoctorServer:
    """The MCP server over `workspace`: five read-only tools and the runbook resources."""
    server = DoctorServer(
        "virt-doctor", title="virt-doctor", version=__version__, log_level="WARNING",
        website_url="https://kubevirt.io/monitoring/runbooks/",
        instructions="virt-doctor detects and diagnoses OpenShift Virtualization / KubeVirt alerts the way their "
                     "runbooks say, deterministically, with the evidence. Ask it before guessing from raw objects: "
                     "`diagnose_alert` for one firing alert, `scan` for everything, `fix_plan` for what to do "
                     f"(never applied from here). It reads {workspace.describe()}.")

    @server.tool(annotations=READ_ONLY, structured_output=True)
    def list_alerts() -> Annotated[CallToolResult, results.AlertList]:
        """Every alert virt-doctor has a runbook for: name, severity, component, one-line summary, and whether it
        can be evaluated from cluster objects, Prometheus, or both."""
        return answered(tools.list_alerts())

    @server.tool(annotations=READ_ONLY, structured_output=True)
    def explain_alert(alert: AlertName) -> Annotated[CallToolResult, results.Runbook]:
        """One alert's runbook: what it means, its impact, its likely causes, the diagnosis steps and the
        mitigation steps (with the exact commands and their risk)."""
        return answered(tools.explain_alert(alert))

    @server.tool(annotations=READ_ONLY, structured_output=True)
    def scan(
        source: Annotated[str | None, Field(description="A dump to read instead of this server's source: a "
                                                        "must-gather or `virt-doctor collect` directory or archive.")
                          ] = None,
        namespace: Annotated[str | None, Field(description="Only findings about objects in this namespace.")] = None,
        alerts: Annotated[list[str] | None, Field(description="Only these alerts (names as in list_alerts).")] = None,
        at: At = None,
        ctx: Context[Any, Any] | None = None,
    ) -> Annotated[CallToolResult, results.ScanResult]:
        """Detect and diagnose every alert: the findings (alert, subject, cause with confidence, evidence,
        remediation) grouped into problems, and each alert that could not be evaluated with why — an alert not
        evaluated is unknown, not healthy."""
        return answered(tools.scan(workspace, source, namespace, alerts, at, reporter(ctx) if ctx else None))

    @server.tool(annotations=READ_ONLY, structured_output=True)
    def diagnose_alert(
        alert: Annotated[str | None, Field(description="The alert's name (with labels), or give alert_json.")
                         ] = None,
        labels: Annotated[dict[str, str] | None, Field(description="The instance's labels: namespace, name, node, "
                                                                   "pod, … as the alert carries them.")] = None,
        alert_json: Annotated[Any, Field(description="Instead of alert and labels: one alert as Alertmanager or "
                                                     "Prometheus sends it, a list of them, or a webhook payload "
                                                     "(an object, or its JSON text).")] = None,
        at: At = None,
        ctx: Context[Any, Any] | None = None,
    ) -> Annotated[CallToolResult, results.DiagnoseResult]:
        """Diagnose one alert instance as a page names it: whether its condition holds now, the likely cause with
        the evidence, the mitigation, and the problem it belongs to. Live, it reads only what that alert's rule
        reads (and only the instance's namespace or node), so it is fast."""
        return answered(tools.diagnose_alert(workspace, alert, labels, alert_json, at,
                                             reporter(ctx) if ctx else None))

    @server.tool(annotations=READ_ONLY, structured_output=True)
    def fix_plan(
        finding: Annotated[str | None, Field(description="The finding's id (or its first 6+ characters) from "
                                                         "scan or diagnose_alert.")] = None,
        alert: Annotated[str | None, Field(description="Instead of an id: the alert whose finding `labels` "
                                                       "names.")] = None,
        labels: Annotated[dict[str, str] | None, Field(description="Labels of the alert instance (with alert).")
                          ] = None,
        steps: Annotated[list[str] | None, Field(description="Only these mitigation step ids; default: every "
                                                             "automatable step.")] = None,
        at: At = None,
    ) -> Annotated[CallToolResult, results.FixPlanResult]:
        """A finding's mitigation as a plan: each action with the evidence it rests on, its risk, the exact API
        request and kubectl command; on the live cluster each is sent as a server-side dry run (nothing changes)
        and the difference shown. It never applies anything: a person runs `virt-doctor fix --apply`."""
        return answered(tools.fix_plan(workspace, finding, alert, labels, steps, at))

    def runbook(alert: str) -> str:
        """An alert's runbook as Markdown."""
        try:
            return tools.runbook_markdown(alert)
        except UnknownAlertError as exc:
            raise ResourceNotFoundError(str(exc)) from None

    server.resource(RUNBOOK_URI, name="runbook", title="Alert runbook", mime_type="text/markdown",
                    description="An alert's runbook as Markdown: meaning, impact, causes, diagnosis, mitigation.")(
        runbook)
    for entry in load_catalog():
        server.add_resource(FunctionResource(uri=RUNBOOK_URI.format(alert=entry.name), name=entry.name,
                                             title=f"{entry.name} runbook", description=entry.summary,
                                             mime_type="text/markdown", fn=partial(runbook, entry.name)))
    return server
