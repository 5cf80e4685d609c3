"""One pure-ASGI layer in front of every route: the API-key rule and the latency metric.

Off loopback a key is required (ServeSettings refuses to start without one); with one set, every
route but /healthz and /readyz (which load balancers probe without credentials) needs
`Authorization: Bearer KEY`. A WebSocket without it is refused before the handshake (HTTP 403).
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spotq.api.auth import check_bearer
from spotq.api.errors import ApiError
from spotq.api.responses import error_response
from spotq.serve.metrics import ServeMetrics

OPEN_PATHS = frozenset({"/healthz", "/readyz"})


class Guard:
    def __init__(self, app: ASGIApp, api_key: str | None, metrics: ServeMetrics) -> None:
        self.app, self.api_key, self.metrics = app, api_key, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if self._allowed(scope):
                await self.app(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1008, "reason": "unauthorized"})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self._http(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        if self.api_key is None or scope["path"] in OPEN_PATHS:
            return True
        try:
            check_bearer(scope["path"], _raw_header(scope, b"authorization"), self.api_key)
        except ApiError:
            return False
        return True

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            if self.api_key is not None and scope["path"] not in OPEN_PATHS:
                check_bearer(scope["path"], _raw_header(scope, b"authorization"), self.api_key)
        except ApiError as exc:
            await error_response(exc)(scope, receive, send_status)
        else:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.latency.labels(scope["method"], route, str(status[0])).observe(
                time.perf_counter() - started
            )


def _raw_header(scope: Scope, name: bytes) -> bytes | None:
    """A header's bytes, as the job API compares a bearer token (spotq.api.auth)."""
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None
