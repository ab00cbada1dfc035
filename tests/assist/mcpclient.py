"""The SDK's own client, driven from plain tests: each helper opens a session, makes its calls, closes it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx2
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.prometheus.conftest import stop_process

VIRT_DOCTOR = Path(sys.executable).parent / "virt-doctor"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "broken-cluster"
TOOLS = {"list_alerts", "explain_alert", "scan", "diagnose_alert", "fix_plan"}
T = TypeVar("T")


def run(server: Any, work: Callable[[Client], Awaitable[T]]) -> T:
    """Open a session to `server` (an in-process server, stdio parameters or a Transport), run `work` in it."""
    async def session() -> T:
        async with Client(server) as client:
            return await work(client)
    return asyncio.run(session())


def call(server: Any, tool: str, arguments: dict[str, Any]) -> Any:
    """One tool call in a session of its own: the CallToolResult."""
    return run(server, lambda client: client.call_tool(tool, arguments))


def stdio(*args: str, env: dict[str, str] | None = None) -> StdioServerParameters:
    """`virt-doctor mcp ARGS` launched by the client, as a desktop assistant launches it."""
    return StdioServerParameters(command=str(VIRT_DOCTOR), args=["mcp", *args], env=env)


def http(url: str, token: str | None = None) -> Any:
    """The streamable HTTP transport to `url`, sending the bearer token when given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=120))


def start(argv: list[str], url: str, seconds: float = 60) -> subprocess.Popen[bytes]:
    """Start a server process and wait until `url` answers at all (any status)."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{argv[1]} exited {proc.returncode}: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            httpx2.get(url, timeout=1)
            return proc
        except httpx2.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"{url} did not answer within {seconds}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    stop_process(proc)
    if proc.stderr:
        proc.stderr.close()
