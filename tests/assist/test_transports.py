"""`virt-doctor mcp` as assistants start it — on stdio, and over streamable HTTP behind a bearer token — and `serve`'s
/mcp over its view: the SDK's client lists and calls the tools, survives a server restart, and bad input is one line."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client

from tests.assist.mcpclient import EXAMPLE, TOOLS, VIRT_DOCTOR, http, run, start, stdio, stop
from tests.prometheus.conftest import free_port

TOKEN = "mcp-test-token-61d0"


def test_stdio_serves_every_tool_and_a_restart_starts_a_new_session_cleanly() -> None:
    params = stdio("--from", str(EXAMPLE))

    async def session() -> tuple[set[str], Any, BaseException | None]:
        async with Client(params) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            scanned = await client.call_tool("scan", {})
            # the server launched for this session, killed under it: the next call fails, promptly
            [pid] = [int(line) for line in subprocess.run(["pgrep", "-P", str(os.getpid()), "-f", "virt-doctor mcp"],
                                                          capture_output=True, text=True).stdout.split()]
            os.kill(pid, signal.SIGKILL)
            failure: BaseException | None = None
            try:
                with anyio.fail_after(30):
                    await client.call_tool("explain_alert", {"alert": "VirtAPIDown"})
            except TimeoutError:
                raise
            except Exception as exc:  # the SDK says the connection closed
                failure = exc
            return tools, scanned, failure

    try:
        tools, scanned, failure = asyncio.run(session())
    except BaseExceptionGroup as group:  # the transport's task group reports the closed pipe on exit
        assert not group.subgroup(TimeoutError), group
        tools, scanned, failure = TOOLS, None, group
    assert tools == TOOLS and failure is not None
    if scanned is not None:
        assert not scanned.is_error and "22 firing" in scanned.content[0].text
    # a new session launches a new server, which answers
    again = run(params, lambda client: client.call_tool("explain_alert", {"alert": "VirtAPIDown"}))
    assert not again.is_error and again.structured_content["name"] == "VirtAPIDown"


def test_stdio_keeps_stdout_for_the_protocol() -> None:
    """Nothing but JSON-RPC on stdout: a stray print would break every client."""
    request = [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "scan", "arguments": {}}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "scan", "arguments": {"source": "/x"}}}]
    proc = subprocess.Popen([str(VIRT_DOCTOR), "mcp", "--from", str(EXAMPLE)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write("".join(json.dumps(r) + "\n" for r in request))
        proc.stdin.flush()
        lines = [proc.stdout.readline() for _ in range(3)]  # every line a JSON-RPC answer, in order of the calls
        proc.stdin.close()
        rest = proc.stdout.read()  # and nothing else, up to the end
        proc.wait(timeout=30)
    finally:
        proc.kill()
    answers = sorted((json.loads(line) for line in lines), key=lambda a: a["id"])
    assert [a.get("id") for a in answers] == [1, 2, 3] and rest == ""
    assert answers[1]["result"]["isError"] is False and answers[1]["result"]["structuredContent"]["findings"]
    assert answers[2]["result"]["isError"] is True
    assert answers[2]["result"]["content"][0]["text"] == "/x: no such file or directory"


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    return path


def test_http_needs_the_token_and_survives_a_restart_mid_session(token_file: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    argv = [str(VIRT_DOCTOR), "mcp", "--from", str(EXAMPLE), "--http", f"127.0.0.1:{port}", "--token-file",
            str(token_file)]
    server = start(argv, url)
    try:
        hello = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        assert httpx2.post(url, json=hello).status_code == 401
        assert httpx2.post(url, json=hello, headers={"Authorization": "Bearer wrong"}).status_code == 401

        async def session() -> tuple[set[str], Any, Any]:
            nonlocal server
            async with Client(http(url, TOKEN)) as client:
                tools = {t.name for t in (await client.list_tools()).tools}
                before = await client.call_tool("diagnose_alert", {"alert": "VirtualMachineStuckOnNode", "labels": {
                    "namespace": "vms-000", "name": "rhel9-00036"}})
                stop(server)  # the server goes away and comes back under the same session
                server = start(argv, url)
                after = await client.call_tool("diagnose_alert", {"alert": "VirtualMachineStuckOnNode", "labels": {
                    "namespace": "vms-000", "name": "rhel9-00036"}})
                return tools, before, after

        tools, before, after = asyncio.run(session())
        assert tools == TOOLS
        assert not after.is_error and after.structured_content == before.structured_content
        assert before.structured_content["verdicts"][0]["verdict"] == "holds"
    finally:
        stop(server)


@pytest.mark.parametrize(("args", "says"), [
    (["--from", "/nonexistent"], "--from /nonexistent: no such file or directory"),
    (["--from", str(EXAMPLE), "--http", "0.0.0.0:8765"], "--http 0.0.0.0:8765: give --token-file to listen beyond "
                                                         "loopback"),
    (["--from", str(EXAMPLE), "--http", "nine"], "--http 'nine': expected [HOST:]PORT"),
    (["--from", str(EXAMPLE), "--http", "127.0.0.1:99999"], "--http '127.0.0.1:99999': expected [HOST:]PORT"),
    (["--from", str(EXAMPLE), "--token-file", "/etc/hostname"], "--token-file is for --http"),
    (["--from", str(EXAMPLE), "--http", "8765", "--token-file", "/nonexistent-token"], "/nonexistent-token: cannot read"),
    (["--kubeconfig", "/nonexistent-kubeconfig"], "/nonexistent-kubeconfig"),
    (["--from", str(EXAMPLE), "--prometheus", "auto"], "--prometheus auto finds the querier in a live cluster"),
    (["--from", str(EXAMPLE), "--prometheus", "localhost:9090"], "--prometheus 'localhost:9090' is not an http(s) URL"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], says: str) -> None:
    done = subprocess.run([str(VIRT_DOCTOR), "mcp", *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in done.stderr, done.stderr


def test_serve_mounts_the_tools_over_its_view(tmp_path: Path, token_file: Path) -> None:
    """serve --from the example: /mcp answers from the same evaluation as /api/v1/report, behind --mcp-token-file."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start([str(VIRT_DOCTOR), "serve", "--from", str(EXAMPLE), "--port", str(port), "--db",
                    str(tmp_path / "db"), "--mcp-token-file", str(token_file)], f"{base}/healthz")
    try:
        assert httpx2.post(f"{base}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).status_code == 401
        report = _ready_report(base)

        async def session() -> dict[str, Any]:
            async with Client(http(f"{base}/mcp", TOKEN)) as client:
                return {"tools": {t.name for t in (await client.list_tools()).tools},
                        "scan": await client.call_tool("scan", {}),
                        "narrow": await client.call_tool("scan", {"namespace": "vms-002"}),
                        "diagnose": await client.call_tool("diagnose_alert", {"alert": "VirtualMachineStuckOnNode",
                                                                              "labels": {"namespace": "vms-000",
                                                                                         "name": "rhel9-00036"}}),
                        "plan": await client.call_tool("fix_plan", {"finding": "fd4d3b44ea861a55"}),
                        "other": await client.call_tool("scan", {"source": str(EXAMPLE)}),
                        "runbook": await client.read_resource("virt-doctor://runbooks/VirtAPIDown")}

        got = asyncio.run(session())
        assert got["tools"] == TOOLS
        assert got["scan"].structured_content["findings"] == report["findings"]
        assert got["scan"].structured_content["problems"] == report["problems"]
        assert got["narrow"].structured_content["findings"] == [f for f in report["findings"]
                                                                if f["subject"]["namespace"] == "vms-002"] != []
        [verdict] = got["diagnose"].structured_content["verdicts"]
        assert verdict["verdict"] == "holds" and verdict["findings"] == ["fd4d3b44ea861a55"]
        assert got["plan"].structured_content["plans"][0]["step"] == "recreate-launcher"
        assert got["plan"].structured_content["live"] is False  # a dump is served: nothing to preview against
        assert got["other"].is_error and "serve answers from its own view" in got["other"].content[0].text
        assert got["runbook"].contents[0].text.startswith("# VirtAPIDown")
    finally:
        stop(server)


def _ready_report(base: str) -> Any:
    """The service's report once it has evaluated the dump."""
    for _ in range(300):
        answer = httpx2.get(f"{base}/api/v1/report")
        if answer.status_code == 200:
            return answer.json()
        anyio.run(anyio.sleep, 0.1)
    raise AssertionError("serve did not evaluate the dump in 30 s")
