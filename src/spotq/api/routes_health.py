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
    """The queue answers, the job store can be read and the fleet (when there is one) is not
    crash-looping (503 with the reason otherwise)."""
    rt: ApiRuntime = request.app.state.runtime
    reason = rt.unhealthy()
    if reason is not None:
        raise NotReady(reason)
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
