"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from spotq.api.errors import NotReady
from spotq.api.runtime import ApiRuntime

router = APIRouter()


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process answers (no dependencies checked)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> dict[str, str]:
    """The queue answers and the job store can be read (503 otherwise)."""
    rt: ApiRuntime = request.app.state.runtime
    if not rt.service.queues.reachable():
        raise NotReady("the queue server is not reachable")
    try:
        rt.service.jobs.count_by_state(rt.service.app)
    except Exception as exc:
        raise NotReady(f"the job store cannot be read: {exc}") from exc
    return {"status": "ready"}


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus metrics: jobs submitted and by state, queue depths, request latency."""
    rt: ApiRuntime = request.app.state.runtime
    return Response(generate_latest(rt.metrics.registry), media_type=CONTENT_TYPE_LATEST)
