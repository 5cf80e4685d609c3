"""The dashboard's routes: the page and its assets (open: they hold no data) and the overview
JSON (behind the API key like every other /v1 route). The page asks for a key when a call is
answered 401 and sends it as `Authorization: Bearer KEY`."""

from __future__ import annotations

import asyncio
import functools
import logging
from importlib import resources

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from spotq.api.runtime import ApiRuntime
from spotq.api.ui.history import History
from spotq.api.ui.overview import overview, take_sample

log = logging.getLogger("spotq.api")

# The only files served under /ui/assets: a request names one of these keys, never a path.
ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
SAMPLE_INTERVAL_S = 2.0
# Counting jobs by state scans a DynamoDB job table (it is one indexed query in SQLite), so on AWS
# the API samples rarely; the dashboard's own polls still count when it is open.
REMOTE_SAMPLE_INTERVAL_S = 60.0
# The page and its assets may not load anything from elsewhere, nor be framed.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'"
)

router = APIRouter()


@functools.cache
def _static(name: str) -> bytes:
    return resources.files("spotq.api.ui").joinpath("static", name).read_bytes()


def _history(request: Request) -> History:
    history: History = request.app.state.ui_history
    return history


@router.get("/ui", include_in_schema=False)
def page() -> HTMLResponse:
    """The dashboard page."""
    return HTMLResponse(_static("index.html"), headers={"Content-Security-Policy": _CSP})


@router.get("/ui/assets/{name}", include_in_schema=False)
def asset(name: str) -> Response:
    if name not in ASSETS:
        raise HTTPException(404, f"no dashboard asset {name!r}")
    return Response(_static(name), media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})


@router.get("/v1/overview")
def get_overview(request: Request) -> JSONResponse:
    """Everything the dashboard shows: jobs by state, queue depths, the local fleet and its
    workers, the newest failures, and samples of the last hour."""
    rt: ApiRuntime = request.app.state.runtime
    return JSONResponse(overview(rt, _history(request), rt.service.clock.now()))


async def sample_forever(rt: ApiRuntime, history: History) -> None:
    """Add a sample to `history` every SAMPLE_INTERVAL_S (skipping any the stack cannot answer)."""
    local = rt.settings.stack.jobs_url.startswith("sqlite:")
    interval_s = SAMPLE_INTERVAL_S if local else REMOTE_SAMPLE_INTERVAL_S
    while True:
        try:
            history.add(await run_in_threadpool(take_sample, rt, rt.service.clock.now()))
        except Exception as exc:  # a queue or store down: the dashboard shows the gap
            log.debug("dashboard sample skipped: %s", exc)
        await asyncio.sleep(interval_s)
