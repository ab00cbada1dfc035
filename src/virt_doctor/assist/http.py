"""The MCP server over the SDK's streamable HTTP transport: one route, `/mcp`, behind a bearer token (as serve takes
its tokens: from a file, compared in constant time). Stateless, so a restarted server — or another replica — answers
the next call of a session without it starting over. Used by `virt-doctor mcp --http` and mounted by `serve`."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from virt_doctor.assist.server import DoctorServer

PATH = "/mcp"


@dataclass(frozen=True, repr=False)
class BearerGuard:
    """An ASGI app that lets a request through only with `Authorization: Bearer <token>` (no token: everyone)."""

    app: ASGIApp
    token: str = ""

    def __repr__(self) -> str:
        return "BearerGuard(***)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token and scope["type"] == "http" and not self.allows(scope):
            answer = JSONResponse({"error": "missing or wrong bearer token"}, status_code=401,
                                  headers={"WWW-Authenticate": 'Bearer realm="virt-doctor"'})
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def allows(self, scope: Scope) -> bool:
        header = dict(scope.get("headers") or ()).get(b"authorization", b"").decode("latin-1")
        scheme, _, value = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), self.token.encode())


def mcp_route(server: DoctorServer, token: str = "", host: str = "127.0.0.1"
              ) -> tuple[Route, Callable[[], AbstractAsyncContextManager[None]]]:
    """The `/mcp` route (guarded by `token`) and the context its session manager must run in (the app's lifespan).
    On a loopback `host` the SDK also refuses requests whose Host or Origin is not loopback (DNS rebinding)."""
    server.streamable_http_app(streamable_http_path=PATH, stateless_http=True, host=host)
    endpoint = StreamableHTTPASGIApp(server.session_manager)  # the session manager the call above made
    return Route(PATH, endpoint=BearerGuard(endpoint, token), methods=None), server.session_manager.run


def mcp_app(server: DoctorServer, token: str = "", host: str = "127.0.0.1") -> Starlette:
    """`virt-doctor mcp --http`: the guarded `/mcp` route alone."""
    route, running = mcp_route(server, token, host)
    return Starlette(routes=[route], lifespan=lambda _: running())
