"""A loopback HTTPS server standing in for the nodes' kubelets: it serves the simulated containers' logs, or
fails as a sick kubelet does (`answer`): HTTP 500 to every request, or a connection accepted and never answered.

The API server fetches `kubectl logs` from a node's kubelet at the node's InternalIP and kubelet port,
without verifying its certificate; every simulated node points here.
"""

from __future__ import annotations

import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

Logs = dict[tuple[str, str, str], dict[str, list[str]]]


class KubeletLogs:
    """Serve GET /containerLogs/NS/POD/CONTAINER (?previous, tailLines, limitBytes) from `logs`; or answer 500
    ("500"), or never answer ("hang": until stop). `requests` records each path asked."""

    def __init__(self, workdir: Path, answer: str = "logs") -> None:
        self.logs: Logs = {}
        self.answer = answer
        self.requests: list[str] = []
        self.released = threading.Event()
        cert, key = workdir / "kubelet.crt", workdir / "kubelet.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                owner.requests.append(self.path)
                if owner.answer == "hang":
                    owner.released.wait()
                    return
                if owner.answer == "500":
                    self.send_error(500, "kubelet stand-in: failing")
                    return
                url = urlparse(self.path)
                parts = url.path.strip("/").split("/")
                query = parse_qs(url.query)
                if len(parts) != 4 or parts[0] != "containerLogs":
                    self.send_error(404)
                    return
                which = "previous" if query.get("previous", ["false"])[0] == "true" else "current"
                lines = owner.logs.get((parts[1], parts[2], parts[3]), {}).get(which)
                if lines is None:
                    self.send_error(400 if which == "previous" else 404, "no such container log")
                    return
                if "tailLines" in query:
                    lines = lines[-int(query["tailLines"][0]):]
                body = ("\n".join(lines) + "\n").encode()
                if "limitBytes" in query:
                    body = body[:int(query["limitBytes"][0])]
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
