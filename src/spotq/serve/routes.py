"""HTTP routes of `spotq serve`: predict, liveness, readiness, metrics, and the stream socket."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response, WebSocket
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field

from spotq.api.bodies import BodyLimits, read_json, read_upload, require_media, validate
from spotq.api.errors import HandlerError, NotReady, Rejected, UnknownApp
from spotq.app import Job, JobFailed
from spotq.serve.runtime import ServeRuntime
from spotq.serve.stream import CLOSE_GOING_AWAY, CLOSE_TRY_LATER, StreamSession

router = APIRouter()


class PredictBody(BaseModel):
    """A predict request: the handler's job input, and optionally the app it is meant for."""

    model_config = ConfigDict(extra="forbid")

    input: dict[str, Any] = Field(default_factory=dict)
    app: str | None = None


def _rt(request: Request | WebSocket) -> ServeRuntime:
    rt: ServeRuntime = request.app.state.runtime
    return rt


@router.post("/v1/predict")
async def predict(request: Request) -> JSONResponse:
    """One input in (JSON, or a multipart upload with `file` and optional `input`), one result
    out, computed in a batch with whatever other requests arrived at the same time."""
    rt = _rt(request)
    if not rt.loaded or rt.batcher is None:
        raise NotReady("the model is still loading")
    job = await _read_job(request, rt)
    rt.in_flight += 1
    rt.metrics.in_flight.inc()
    try:
        answer = await rt.batcher.submit(job)
    finally:
        rt.in_flight -= 1
        rt.metrics.in_flight.dec()
    result = answer.result
    if isinstance(result, JobFailed):
        raise Rejected(str(result))
    if isinstance(result, Exception):
        raise HandlerError(f"the handler failed: {result!r}") from result
    headers = {
        "X-Spotq-Batch-Size": str(answer.batch_size),
        "X-Spotq-Queue-Ms": f"{answer.queue_wait_s * 1000:.1f}",
    }
    return JSONResponse({"id": job.id, "result": result}, headers=headers)


async def _read_job(request: Request, rt: ServeRuntime) -> Job:
    settings = rt.settings
    kind = require_media(request, "application/json", "multipart/form-data")
    data: bytes | None = None
    filename: str | None = None
    if kind == "application/json":
        limits = BodyLimits(settings.max_json_bytes, settings.body_read_timeout_s)
        raw = await read_json(request, limits)
    else:
        upload = await read_upload(request, settings.max_upload_bytes, settings.body_read_timeout_s)
        raw, data, filename = upload.fields, upload.data, upload.filename
    body = validate(PredictBody, raw)
    if body.app is not None and body.app != rt.app.name:
        raise UnknownApp(f"this server serves app {rt.app.name!r}, not {body.app!r}")
    return Job(id=uuid.uuid4().hex, input=body.input, filename=filename, data=data)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> dict[str, str]:
    """200 once the model is loaded and while not draining; 503 otherwise."""
    rt = _rt(request)
    if rt.draining.is_set():
        raise NotReady("draining: this server is shutting down")
    if not rt.loaded:
        raise NotReady("the model is still loading")
    return {"status": "ready"}


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus metrics: latency by route and status, batch sizes, queue wait, streams, shed."""
    return Response(generate_latest(_rt(request).metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.websocket("/v1/stream")
async def stream(ws: WebSocket) -> None:
    """Streaming speech: PCM16 frames in, partial and final transcripts out (spotq.serve.stream)."""
    rt = _rt(ws)
    await ws.accept()
    refusal = _refuse_stream(rt)
    if refusal is not None:
        code, reason = refusal
        rt.metrics.stream_closes.labels(str(code)).inc()
        await ws.close(code, reason)
        return
    task = asyncio.current_task()
    assert task is not None
    rt.streams.add(task)
    rt.metrics.open_streams.inc()
    try:
        await StreamSession(ws, rt).run()
    finally:
        rt.streams.discard(task)
        rt.metrics.open_streams.dec()


def _refuse_stream(rt: ServeRuntime) -> tuple[int, str] | None:
    if rt.app.stream_fn is None:
        return 1003, f"app {rt.app.name!r} has no stream handler"
    if rt.draining.is_set():
        return CLOSE_GOING_AWAY, "server draining"
    if not rt.loaded:
        return CLOSE_TRY_LATER, "the model is still loading"
    if len(rt.streams) >= rt.settings.streams.max_streams:
        return CLOSE_TRY_LATER, f"{len(rt.streams)} streams are open (the limit)"
    return None
