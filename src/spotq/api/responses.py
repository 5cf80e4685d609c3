"""Error bodies: every error the API returns is {"error": CLASS, "detail": MESSAGE}."""

from __future__ import annotations

import math

from fastapi.responses import JSONResponse

from spotq.api.errors import Overloaded, status_for


def error_response(exc: Exception, status: int | None = None) -> JSONResponse:
    code = status if status is not None else status_for(exc)
    headers = None
    if isinstance(exc, Overloaded):
        # A whole number of seconds, at least 1: what HTTP's Retry-After allows.
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after_s)))}
    body = {"error": type(exc).__name__, "detail": str(exc)}
    return JSONResponse(body, status_code=code, headers=headers)
