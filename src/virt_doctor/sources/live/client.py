"""HTTP to the API server: reads with bounded retries and backoff (Retry-After honoured), every failure mapped.
Scans only read; writes (`send_json`) are the service's leader-election Lease (serve/leader.py) and the
remediation `virt-doctor fix` applies (remedy/).

A 401/403 becomes Forbidden naming the verb, group, resource and namespace; a 410 on a continue token Gone;
429 and 5xx, timeouts and dropped connections are retried, then Unavailable. The scan turns each of them
into "not seen" for that kind, never into an empty list.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import orjson

from virt_doctor.errors import SourceError, VirtDoctorError
from virt_doctor.sources.live.connection import Connection
from virt_doctor.sources.live.list_body import NotAList, read_list

T = TypeVar("T")
RETRIES = 4
BACKOFF = 0.5  # seconds, doubled each retry, capped by MAX_WAIT
MAX_WAIT = 10.0


class ApiError(VirtDoctorError):
    """The API server refused or failed a request; `status` is the HTTP status (0: no answer)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Forbidden(ApiError):
    """401 or 403: the credentials may not do this."""


class NotFound(ApiError):
    """404: no such object or resource."""


class Conflict(ApiError):
    """409: the object changed since it was read (or already exists)."""


class Gone(ApiError):
    """410: a continue token or resourceVersion expired."""


class Unavailable(ApiError):
    """No good answer after the retries: 429, 5xx, timeouts, dropped connections."""


@dataclass
class Traffic:
    """What the client sent and received, for the benchmark and the read-only check."""

    requests: int = 0
    bytes: int = 0
    verbs: set[str] = field(default_factory=set)
    record: bool = False  # keep each GET's path and query in `reads`, in order (the benchmark replays them)
    reads: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, method: str, size: int, path: str = "", params: dict[str, str] | None = None) -> None:
        with self.lock:
            self.requests += 1
            self.bytes += size
            self.verbs.add(method)
            if self.record and method == "GET" and path:
                self.reads.append((path, dict(params or {})))


class KubeClient:
    """A small API client over httpx, read-only but for `send_json`; safe to share between threads."""

    def __init__(self, conn: Connection, timeout: float = 30.0, connections: int = 4,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.conn = conn
        self.traffic = Traffic()
        try:
            verify: ssl.SSLContext | bool = conn.verify if isinstance(conn.verify, bool) else \
                ssl.create_default_context(cafile=conn.verify)
            if conn.cert and isinstance(verify, ssl.SSLContext):
                verify.load_cert_chain(*conn.cert)
            elif conn.cert:
                verify = ssl.create_default_context() if verify else _unverified()
                verify.load_cert_chain(*conn.cert)
            self._http = httpx.Client(base_url=conn.server, verify=verify, timeout=timeout,
                                      limits=httpx.Limits(max_connections=connections), transport=transport)
        except (OSError, ValueError, ssl.SSLError) as exc:  # an unreadable CA or client certificate file
            raise SourceError(f"{conn.server}: cannot set up TLS ({exc})") from exc

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, params: dict[str, str] | None = None, what: str = "",
            headers: dict[str, str] | None = None, retries: int = RETRIES, timeout: float | None = None) -> bytes:
        """The body of a GET, after bounded retries; ApiError (mapped) when it cannot be had. `timeout`: seconds
        this request may wait for the connection or for each read (else the client's own)."""
        return self._request(path, params, what, headers, retries, _whole_body, timeout)

    def get_json(self, path: str, params: dict[str, str] | None = None, what: str = "",
                 headers: dict[str, str] | None = None) -> Any:
        body = self.get(path, params, what, headers)
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ApiError(200, f"{what or path}: not JSON ({exc})") from exc

    def list_items(self, path: str, params: dict[str, str], what: str, headers: dict[str, str] | None,
                   each: Callable[[dict[str, Any]], dict[str, Any] | None]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """One LIST answer read as it streams in: each item passed through `each` as soon as it is read (the
        answer is never held whole: list_body.py), and the list's metadata. A failure part-way retries the whole
        request."""
        def consume(response: httpx.Response) -> tuple[tuple[list[dict[str, Any]], dict[str, Any]], int]:
            try:
                items, metadata, size = read_list(response.iter_bytes(), each)
            except NotAList as exc:
                raise ApiError(200, f"{what or path}: not a JSON list ({exc})") from exc
            return (items, metadata), size

        return self._request(path, params, what, headers, RETRIES, consume)

    def send_json(self, method: str, path: str, body: Any, what: str = "", params: dict[str, str] | None = None,
                  content_type: str = "application/json") -> Any:
        """One write (POST, PUT, PATCH or DELETE) with a JSON body, not retried (the caller decides what a
        failure means); what the server answered, or ApiError (Conflict on 409)."""
        try:
            response = self._http.request(method, path, content=orjson.dumps(body) if body is not None else None,
                                          params=params,
                                          headers={**self.conn.headers(), "Content-Type": content_type})
        except httpx.TransportError as exc:
            raise Unavailable(0, f"{what or path}: connection failed ({type(exc).__name__})") from exc
        self.traffic.add(method, len(response.content))
        if response.status_code >= 300:
            raise _mapped(response)
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise ApiError(response.status_code, f"{what or path}: not JSON ({exc})") from exc

    def watch(self, path: str, params: dict[str, str], headers: dict[str, str] | None,
              read_timeout: float, on_open: Callable[[], None] = lambda: None) -> Iterator[dict[str, Any]]:
        """The events of one WATCH request, as they come (the server ends it after `timeoutSeconds`);
        `on_open` once the server has accepted it. No retries here: the caller resumes from the last
        resourceVersion, or lists again on 410 Gone."""
        timeout = httpx.Timeout(self._http.timeout.connect or 30.0, read=read_timeout)
        try:
            with self._http.stream("GET", path, params={**params, "watch": "true"}, timeout=timeout,
                                   headers={**self.conn.headers(), **(headers or {})}) as response:
                if response.status_code >= 300:
                    response.read()
                    self.traffic.add("GET", len(response.content))
                    raise _mapped(response)
                self.traffic.add("GET", 0)
                on_open()
                for line in response.iter_lines():
                    if line.strip():
                        try:
                            yield orjson.loads(line)
                        except orjson.JSONDecodeError as exc:
                            raise ApiError(200, f"watch {path}: not JSON ({exc})") from exc
        except httpx.TimeoutException as exc:
            raise Unavailable(0, f"watch {path}: no event or bookmark in {read_timeout:.0f}s") from exc
        except httpx.TransportError as exc:
            raise Unavailable(0, f"watch {path}: connection failed ({type(exc).__name__})") from exc

    def _request(self, path: str, params: dict[str, str] | None, what: str, headers: dict[str, str] | None,
                 retries: int, consume: Callable[[httpx.Response], tuple[T, int]],
                 timeout: float | None = None) -> T:
        """GET with bounded retries (429, 5xx, timeouts, dropped connections, also part-way through a body);
        `consume` reads a 2xx answer and says how many bytes it read."""
        delay, last = BACKOFF, ""
        for attempt in range(retries + 1):
            wait = delay
            try:
                with self._http.stream("GET", path, params=params,
                                       headers={**self.conn.headers(), **(headers or {})},
                                       timeout=self._http.timeout if timeout is None else timeout) as response:
                    status = response.status_code
                    if status < 300:
                        result, size = consume(response)
                        self.traffic.add("GET", size, path, params)
                        return result
                    response.read()
                    self.traffic.add("GET", len(response.content), path, params)
                    if status != 429 and status < 500:
                        raise _mapped(response)
                    last = f"HTTP {status}" + (f": {_reason(response)}" if _reason(response) else "")
                    retry_after = response.headers.get("Retry-After", "")
                    if retry_after.isdigit():  # the server says when: wait that long (bounded), not our own guess
                        wait = min(float(retry_after), MAX_WAIT)
            except httpx.TimeoutException:
                last = "no answer in time"
            except httpx.TransportError as exc:
                if attempt == 0 and self.traffic.requests == 0 and isinstance(exc, httpx.ConnectError):
                    raise SourceError(f"{self.conn.server}: cannot connect ({exc})") from exc
                last = f"connection failed ({type(exc).__name__})"
            if attempt < retries:
                time.sleep(wait)
                delay = min(delay * 2, MAX_WAIT)
        raise Unavailable(0, f"{what or path}: {last}" + (f" after {retries + 1} tries" if retries else ""))


def _mapped(response: httpx.Response) -> ApiError:
    """The error a refused request is (not for 429 and 5xx, which are retried)."""
    status = response.status_code
    if status in (401, 403):
        return Forbidden(status, _reason(response) or "forbidden")
    if status == 404:
        return NotFound(status, _reason(response) or "not found")
    if status == 409:
        return Conflict(status, _reason(response) or "conflict")
    if status == 410:
        return Gone(status, _reason(response) or "gone")
    return ApiError(status, f"HTTP {status}: {_reason(response)}")


def _whole_body(response: httpx.Response) -> tuple[bytes, int]:
    body = response.read()
    return body, len(body)


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _reason(response: httpx.Response) -> str:
    try:
        data = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.text[:200].strip()
    return str(data.get("message") or data.get("reason") or "") if isinstance(data, dict) else ""
