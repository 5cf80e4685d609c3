"""The FastAPI app factory: one app per stack, serving one spotq app's jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from spotq import __version__
from spotq.api import docs, routes_health, routes_jobs
from spotq.api.bodies import describe
from spotq.api.errors import InternalError, InvalidInput, RequestTimeout
from spotq.api.middleware import GuardAndMeasure
from spotq.api.reconciler import reconcile_forever
from spotq.api.responses import error_response
from spotq.api.runtime import ApiRuntime, build_runtime
from spotq.api.settings import ApiSettings
from spotq.api.ui import routes as ui
from spotq.api.ui.history import History
from spotq.api.ui.overview import WORKERS_DIR
from spotq.api.worker_metrics import WorkerFilesCollector
from spotq.errors import SpotqError

log = logging.getLogger("spotq.api")


def create_app(settings: ApiSettings, runtime: ApiRuntime | None = None) -> FastAPI:
    """Build the API for `settings.stack`; stores and queues are opened here, not at import."""
    rt = runtime or build_runtime(settings)
    history = History()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(reconcile_forever(rt.service, rt.settings.reconcile_interval_s))
        sampler = asyncio.create_task(ui.sample_forever(rt, history))
        try:
            yield
        finally:
            task.cancel()
            sampler.cancel()
            rt.close()

    app = FastAPI(
        title=f"spotq job API ({settings.stack.app})",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served by spotq.api.docs from packaged assets, not a CDN
        redoc_url=None,
    )
    app.state.runtime = rt
    app.state.ui_history = history
    with contextlib.suppress(ValueError):  # an earlier app on this runtime registered it
        rt.metrics.registry.register(WorkerFilesCollector(settings.data_dir / WORKERS_DIR))
    app.include_router(routes_jobs.router)
    app.include_router(routes_health.router)
    app.include_router(docs.router)
    app.include_router(ui.router)
    _add_error_handlers(app)
    app.add_middleware(GuardAndMeasure, api_key=settings.api_key or None, metrics=rt.metrics)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    async def on_spotq_error(_: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, RequestTimeout):  # the rest of its body may still come: hang up
            return error_response(exc, headers={"Connection": "close"})
        return error_response(exc)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(InvalidInput(describe(exc.errors())))

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return error_response(exc, exc.status_code)

    async def on_bug(_: Request, exc: Exception) -> JSONResponse:
        # Starlette logs the traceback itself; the client still gets the documented body.
        return error_response(InternalError(f"{type(exc).__name__}: an unexpected error"), 500)

    app.add_exception_handler(SpotqError, on_spotq_error)
    app.add_exception_handler(Exception, on_bug)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
