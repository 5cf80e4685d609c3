"""Job routes: submit (JSON, upload, batch), read, list, result; and the DLQ."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from spotq.api import bodies
from spotq.api.errors import InvalidInput, UnknownApp, status_for
from spotq.api.gateway import queue_call
from spotq.api.models import (
    BatchBody,
    BatchItemResult,
    BatchResult,
    DlqEntry,
    DlqList,
    JobList,
    JobView,
    RedriveResult,
    SubmitBody,
)
from spotq.api.runtime import ApiRuntime
from spotq.api.service import Submission
from spotq.errors import SpotqError
from spotq.jobs import JobState
from spotq.storage.base import MAX_LIST_OFFSET

router = APIRouter(prefix="/v1")

_UPLOAD_DOC: dict[str, Any] = {
    "requestBody": {
        "content": {
            "application/json": {"schema": SubmitBody.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "input": {"type": "string", "description": "JSON object"},
                        "priority": {"type": "string", "enum": ["normal", "high"]},
                    },
                }
            },
        }
    }
}


def _runtime(request: Request) -> ApiRuntime:
    runtime: ApiRuntime = request.app.state.runtime
    return runtime


def _limits(rt: ApiRuntime) -> bodies.BodyLimits:
    return bodies.BodyLimits(rt.settings.max_json_bytes, rt.settings.body_read_timeout_s)


def _submission(rt: ApiRuntime, fields: Any, key: str | None, upload: Any = None) -> Submission:
    body = bodies.validate(SubmitBody, fields)
    if body.app is not None and body.app != rt.service.app:
        raise UnknownApp(f"this API serves app {rt.service.app!r}, not {body.app!r}")
    if upload is None:
        return Submission(body.input, body.priority, key)
    return Submission(body.input, body.priority, key, upload.data, upload.filename)


@router.post("/jobs", status_code=201, response_model=JobView, openapi_extra=_UPLOAD_DOC)
async def submit_job(
    request: Request,
    response: Response,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JobView:
    """Submit one job as JSON, or as a multipart upload (`file`, optional `input`, `priority`)."""
    rt = _runtime(request)
    kind = bodies.require_media(request, "application/json", "multipart/form-data")
    if kind == "application/json":
        data = await bodies.read_json(request, _limits(rt))
        sub = _submission(rt, data, idempotency_key)
    else:
        upload = await bodies.read_upload(
            request, rt.settings.max_upload_bytes, rt.settings.body_read_timeout_s
        )
        sub = _submission(rt, upload.fields, idempotency_key, upload)
    record, created = await run_in_threadpool(rt.service.submit, sub)
    response.status_code = 201 if created else 200
    if created:
        rt.metrics.submitted.labels(sub.priority.value).inc()
    return JobView.of(record)


@router.post("/apps/{app}/jobs", status_code=201, response_model=JobView, include_in_schema=False)
async def submit_job_for_app(
    app: str,
    request: Request,
    response: Response,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JobView:
    """The same as POST /v1/jobs, with the app named in the path."""
    if app != _runtime(request).service.app:
        raise UnknownApp(f"this API serves app {_runtime(request).service.app!r}, not {app!r}")
    return await submit_job(request, response, idempotency_key)


@router.post("/jobs:batch", response_model=BatchResult)
async def submit_batch(request: Request) -> BatchResult:
    """Submit many JSON jobs: {"jobs": [{"input", "priority", "idempotency_key"}, ...]}."""
    rt = _runtime(request)
    bodies.require_media(request, "application/json")
    batch = bodies.validate(BatchBody, await bodies.read_json(request, _limits(rt)))
    if len(batch.jobs) > rt.settings.max_batch_items:
        raise InvalidInput(f"jobs: at most {rt.settings.max_batch_items} items per batch")
    items: list[BatchItemResult | Submission] = []
    for item in batch.jobs:
        try:
            fields = dict(item)
            key = fields.pop("idempotency_key", None)
            if key is not None and not isinstance(key, str):
                raise InvalidInput(f"idempotency_key: expected a string, got {type(key).__name__}")
            items.append(_submission(rt, fields, key))
        except SpotqError as exc:
            items.append(BatchItemResult(status=status_for(exc), error=str(exc)))
    subs = [s for s in items if isinstance(s, Submission)]
    results = iter(await run_in_threadpool(rt.service.submit_many, subs))
    out = []
    created_by_priority: Counter[str] = Counter()
    for entry in items:
        if isinstance(entry, BatchItemResult):
            out.append(entry)
            continue
        outcome = next(results)
        if isinstance(outcome, InvalidInput):
            out.append(BatchItemResult(status=status_for(outcome), error=str(outcome)))
            continue
        record, created = outcome
        created_by_priority[entry.priority.value] += int(created)
        out.append(BatchItemResult(status=201 if created else 200, job=JobView.of(record)))
    for priority, count in created_by_priority.items():  # one metric update per priority
        rt.metrics.submitted.labels(priority).inc(count)
    return BatchResult(items=out)


@router.get("/jobs/{job_id}", response_model=JobView)
def get_job(job_id: str, request: Request) -> JobView:
    """A job's state, attempts, timestamps and last error."""
    return JobView.of(_runtime(request).service.get(job_id))


@router.get("/jobs/{job_id}/result")
def get_result(job_id: str, request: Request) -> Response:
    """The stored result JSON of a succeeded job (409 while it is not finished)."""
    data = _runtime(request).service.result(job_id)
    return Response(content=data, media_type="application/json")


@router.get("/jobs", response_model=JobList)
def list_jobs(
    request: Request,
    state: JobState | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_LIST_OFFSET)] = 0,
) -> JobList:
    """Jobs of this app, oldest first, optionally of one state."""
    records = _runtime(request).service.list_jobs(state, limit, offset)
    return JobList(jobs=[JobView.of(r) for r in records], limit=limit, offset=offset)


@router.get("/dlq", response_model=DlqList)
def list_dlq(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> DlqList:
    """Dead jobs (their messages are in the dead-letter queue) with their attempts and last
    errors. Read from the job store: receiving DLQ messages to list them would raise their
    receive counts every time someone looked."""
    rt = _runtime(request)
    queues = rt.service.queues
    depth = queue_call("GetQueueAttributes", lambda: queues.depth(queues.dlq_url))
    entries = [
        DlqEntry(
            job_id=r.job_id,
            message_id=None,
            receive_count=r.attempts,
            attempts=r.attempts,
            last_error=r.last_error,
            state=r.state,
        )
        for r in rt.service.list_jobs(JobState.DEAD, limit, 0)
    ]
    return DlqList(messages=entries, approximate_depth=depth.visible + depth.in_flight)


@router.post("/dlq:redrive", response_model=RedriveResult)
def redrive_dlq(request: Request) -> RedriveResult:
    """Move every DLQ message back to its queue and set those jobs back to queued."""
    handle, job_ids = queue_call("the redrive", _runtime(request).dead_letters.redrive)
    return RedriveResult(task_handle=handle, moved_job_ids=job_ids)
