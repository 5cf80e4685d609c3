"""Error bodies: every error the API returns is {"error": CLASS, "detail": MESSAGE}."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from spotq.api.errors import status_for


def error_response(exc: Exception, status: int | None = None) -> JSONResponse:
    code = status if status is not None else status_for(exc)
    return JSONResponse({"error": type(exc).__name__, "detail": str(exc)}, status_code=code)
