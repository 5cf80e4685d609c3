"""Error bodies: every error the API returns is {"error": CLASS, "detail": MESSAGE}."""

from __future__ import annotations

import math
from collections.abc import Mapping

from fastapi.responses import JSONResponse

from spotq.api.errors import Overloaded, status_for


def error_response(
    exc: Exception, status: int | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    code = status if status is not None else status_for(exc)
    if isinstance(exc, Overloaded):
        # A whole number of seconds, at least 1: what HTTP's Retry-After allows.
        headers = {**(headers or {}), "Retry-After": str(max(1, math.ceil(exc.retry_after_s)))}
    # A detail may quote the client's own text, lone surrogates included, which UTF-8 (and so
    # the JSON response) cannot hold: those are written as \uXXXX escapes instead.
    detail = str(exc).encode("utf-8", "backslashreplace").decode("utf-8")
    return JSONResponse(
        {"error": type(exc).__name__, "detail": detail}, status_code=code, headers=headers
    )
