"""The ASGI app of `spotq serve`: one spotq app's handlers behind HTTP and a WebSocket."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from spotq import __version__
from spotq.api.bodies import describe
from spotq.api.errors import InvalidInput
from spotq.api.responses import error_response
from spotq.app import App
from spotq.errors import SpotqError
from spotq.serve import routes
from spotq.serve.guard import Guard
from spotq.serve.runtime import ServeRuntime
from spotq.serve.settings import ServeSettings


def create_serve_app(
    app: App, settings: ServeSettings, runtime: ServeRuntime | None = None
) -> FastAPI:
    """Build the service; the model loads in the lifespan (on the model thread), not here."""
    rt = runtime or ServeRuntime(app, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await rt.start()
        try:
            yield
        finally:
            await rt.stop()

    api = FastAPI(title=f"spotq serve ({app.name})", version=__version__, lifespan=lifespan)
    api.state.runtime = rt
    api.include_router(routes.router)
    _add_error_handlers(api)
    api.add_middleware(Guard, api_key=settings.api_key, metrics=rt.metrics)
    return api


def _add_error_handlers(api: FastAPI) -> None:
    async def on_spotq_error(_: Request, exc: Exception) -> JSONResponse:
        return error_response(exc)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(InvalidInput(describe(exc.errors())))

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return error_response(exc, exc.status_code)

    api.add_exception_handler(SpotqError, on_spotq_error)
    api.add_exception_handler(RequestValidationError, on_validation)
    api.add_exception_handler(HTTPException, on_http)
