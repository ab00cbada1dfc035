"""`virt-doctor mcp`: the checks as tools for assistants (Model Context Protocol), on stdio or streamable HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from virt_doctor.cli.errors import fail, handles_input_errors
from virt_doctor.cli.options import (
    Consistent,
    Context,
    Kubeconfig,
    PrometheusCA,
    PrometheusInsecure,
    PrometheusTimeout,
    PrometheusToken,
    PrometheusURL,
    dump_from,
    prometheus_client,
    secret_file,
    stderr_console,
)

if TYPE_CHECKING:
    from virt_doctor.assist.workspace import Configured

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})  # where --http may listen without a token


@handles_input_errors
def mcp(
    source: Annotated[Path | None, dump_from("Answer from this dump (a must-gather or `collect` output) "
                                                     "instead of the live cluster.")] = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    consistent: Consistent = False,
    prometheus: PrometheusURL = None,
    prometheus_token: PrometheusToken = None,
    prometheus_ca: PrometheusCA = None,
    prometheus_insecure: PrometheusInsecure = False,
    prometheus_timeout: PrometheusTimeout = 10.0,
    http: Annotated[str | None, typer.Option("--http", metavar="[HOST:]PORT", help="Serve the streamable HTTP "
                                             "transport at http://HOST:PORT/mcp instead of stdio (HOST default "
                                             "127.0.0.1).", show_default=False)] = None,
    token_file: Annotated[Path | None, typer.Option("--token-file", help="With --http: a file holding the bearer "
                                                    "token clients must send (required beyond loopback).",
                                                    show_default=False)] = None,
    audit_log: Annotated[Path | None, typer.Option("--audit-log", help="JSON-lines trail of the dry runs fix_plan "
                                                   "sends (default ~/.local/state/virt-doctor/audit.jsonl).",
                                                   show_default=False)] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="The server's own log on stderr.")] = "warning",
) -> None:
    """Serve virt-doctor to assistants over the Model Context Protocol: tools list_alerts, explain_alert, scan,
    diagnose_alert and fix_plan, and each alert's runbook as a resource (virt-doctor://runbooks/ALERT).

    On stdio by default (what desktop and CLI assistants launch); --http serves the streamable HTTP transport.
    It reads the live cluster of the kubeconfig context (read-only, afresh on each call), or the dump given with
    --from; a scan may name another dump. fix_plan previews a plan by server-side dry runs and never applies it.
    """
    from virt_doctor.assist.workspace import Configured
    from virt_doctor.remedy.audit import DEFAULT_LOG

    if source is not None and not source.exists():
        raise fail(f"--from {source}: no such file or directory")
    if token_file is not None and http is None:
        raise fail("--token-file is for --http (stdio needs none: the assistant launches the server itself)")
    host, port = _address(http) if http is not None else ("", 0)
    token = secret_file(token_file) if token_file is not None else ""
    if http is not None and host not in LOOPBACK and not token:
        raise fail(f"--http {http}: give --token-file to listen beyond loopback (the tools read the cluster)")
    if source is None:  # a kubeconfig or context that cannot be used is said now, not at the first call
        from virt_doctor.sources.live.connection import connect

        connect(kubeconfig, context)
    client = prometheus_client(prometheus, prometheus_token, prometheus_ca, prometheus_insecure, prometheus_timeout,
                               source, kubeconfig, context)
    workspace = Configured(source, kubeconfig, context, client, audit_log or DEFAULT_LOG, consistent)
    if http is None:
        _serve_stdio(workspace, log_level)
    else:
        stderr_console().print(f"virt-doctor: MCP on http://{_url_host(host)}:{port}/mcp ({workspace.describe()}"
                               f"{'; bearer token required' if token else ''})", markup=False)
        _serve_http(workspace, host, port, token, log_level)


def _address(value: str) -> tuple[str, int]:
    """`PORT`, `HOST:PORT` or `[V6]:PORT` as (host, port)."""
    host, sep, port = value.rpartition(":")
    host = host.strip("[]") if sep else "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise fail(f"--http {value!r}: expected [HOST:]PORT, e.g. 127.0.0.1:8765")
    return host, int(port)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _serve_stdio(workspace: Configured, log_level: str) -> None:
    import anyio

    from virt_doctor.assist.server import build_server

    server = build_server(workspace)
    _quiet(log_level)
    anyio.run(server.run_stdio_async)


def _serve_http(workspace: Configured, host: str, port: int, token: str, log_level: str) -> None:
    import uvicorn

    from virt_doctor.assist.http import mcp_app
    from virt_doctor.assist.server import build_server

    app = mcp_app(build_server(workspace), token, host)
    _quiet(log_level)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)


def _quiet(level: str) -> None:
    """The server's log at the level asked, on stderr (stdout is the protocol's on stdio)."""
    import logging

    for name in ("mcp", "virt_doctor"):
        logging.getLogger(name).setLevel(level.upper())
