"""A small loopback proxy in front of the real API server that injects the faults a server will not make on demand:
latency, 429 with Retry-After, 500, dropped connections, an expired continue token (410); watches are passed
through as they stream, and can be cut (`cut_watches`)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import yaml

from tests.live.apiserver import ApiServer


@dataclass
class Fault:
    """What to do to a request: respond with `status` (and Retry-After), drop the connection, or delay it."""

    status: int = 0
    retry_after: str = ""
    drop: bool = False
    delay: float = 0.0


@dataclass
class FaultProxy:
    """HTTP on 127.0.0.1 in, HTTPS to the API server out; `decide(method, path_with_query, nth)` picks faults."""

    upstream: str
    ca: str
    decide: Callable[[str, str, int], Fault | None] = lambda method, path, nth: None
    seen: list[tuple[str, str, int]] = field(default_factory=list)
    times: dict[str, list[float]] = field(default_factory=dict)  # path -> when each request for it arrived
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        proxy = self
        self.counts: dict[str, int] = {}
        client = httpx.Client(base_url=self.upstream, verify=ssl.create_default_context(cafile=self.ca), timeout=30)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                method = self.command
                key = self.path.split("?")[0]
                with proxy.lock:
                    proxy.counts[key] = proxy.counts.get(key, 0) + 1
                    nth = proxy.counts[key]
                    proxy.times.setdefault(self.path, []).append(time.monotonic())
                fault = proxy.decide(method, self.path, nth)
                if fault is not None and fault.delay:
                    time.sleep(fault.delay)
                if fault is not None and fault.drop:
                    proxy.seen.append((method, self.path, -1))
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.connection.close()
                    self.close_connection = True
                    return
                if fault is not None and fault.status:
                    proxy.seen.append((method, self.path, fault.status))
                    body = b'{"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected","code":%d}' \
                        % fault.status
                    self.send_response(fault.status)
                    if fault.retry_after:
                        self.send_header("Retry-After", fault.retry_after)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("authorization", "accept", "content-type")}
                if "watch=true" in self.path:
                    self._stream(headers)
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method != "GET" else None
                upstream = client.request(method, self.path, headers=headers, content=body)
                proxy.seen.append((method, self.path, upstream.status_code))
                self.send_response(upstream.status_code)
                self.send_header("Content-Type", upstream.headers.get("content-type", "application/json"))
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            do_POST = do_PUT = do_GET  # noqa: N815  (writes pass through too: the service's Lease)

            def _stream(self, headers: dict[str, str]) -> None:
                """A watch: its events passed on as they come (chunked), until either side ends it."""
                sockets = [self.connection]
                with proxy.lock:
                    proxy.watching.append(sockets)
                try:
                    with client.stream("GET", self.path, headers=headers, timeout=httpx.Timeout(30, read=None)) as up:
                        stream = up.extensions.get("network_stream")
                        upstream_socket = stream.get_extra_info("socket") if stream is not None else None
                        if upstream_socket is not None:
                            sockets.append(upstream_socket)  # cut both ways: neither side is left reading
                        proxy.seen.append(("GET", self.path, up.status_code))
                        self.send_response(up.status_code)
                        self.send_header("Content-Type", up.headers.get("content-type", "application/json"))
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        for chunk in up.iter_raw():
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                            self.wfile.flush()
                        self.wfile.write(b"0\r\n\r\n")
                except (OSError, httpx.HTTPError):
                    self.close_connection = True
                finally:
                    with proxy.lock:
                        proxy.watching.remove(sockets)
                        proxy.ended.notify_all()

            def log_message(self, *args: object) -> None:
                pass

        self.watching: list[list[socket.socket]] = []  # each watch: the client's socket, the server's
        self.ended = threading.Condition(self.lock)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self._client = client

    def cut_watches(self) -> int:
        """Drop every watch passing through now, as a lost connection would; how many were cut. Sockets are
        shut down, never closed here: each is closed by the thread reading it."""
        with self.lock:
            cut = [list(sockets) for sockets in self.watching]
        for sockets in cut:
            for connection in sockets:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        return len(cut)

    def stop(self) -> None:
        self.cut_watches()
        with self.lock:  # the watch threads end before their upstream client is closed under them
            self.ended.wait_for(lambda: not self.watching, timeout=10)
        self.server.shutdown()
        self.server.server_close()
        self._client.close()


def through(proxy: FaultProxy, kube: ApiServer, tmp_path: Path) -> str:
    """A kubeconfig that reaches the API server through the proxy (plain HTTP on loopback, the admin token)."""
    config = yaml.safe_load(Path(kube.kubeconfig).read_text())
    config["clusters"][0]["cluster"] = {"server": proxy.url}
    path = tmp_path / "through-proxy"
    path.write_text(yaml.safe_dump(config))
    return str(path)
