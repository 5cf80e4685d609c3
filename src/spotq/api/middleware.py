"""One pure-ASGI layer for every request: the API-key check and the latency metric."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spotq.api.auth import check_bearer
from spotq.api.errors import ApiError
from spotq.api.metrics import ApiMetrics
from spotq.api.responses import error_response


class GuardAndMeasure:
    def __init__(self, app: ASGIApp, api_key: str | None, metrics: ApiMetrics) -> None:
        self.app, self.api_key, self.metrics = app, api_key, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            headers = dict(scope.get("headers", []))
            check_bearer(scope["path"], headers.get(b"authorization"), self.api_key)
        except ApiError as exc:
            await error_response(exc)(scope, receive, send_status)
        else:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", "unmatched")
            self.metrics.latency.labels(scope["method"], name, str(status[0])).observe(
                time.perf_counter() - started
            )
