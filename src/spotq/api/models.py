"""Request and response bodies of the job API (pydantic, so /docs describes them)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from spotq.jobs import JobRecord, JobState, Priority


class SubmitBody(BaseModel):
    """One job as JSON: its input and priority. `app`, when given, must be the served app."""

    model_config = ConfigDict(extra="forbid")

    input: dict[str, Any] = Field(default_factory=dict)
    priority: Priority = Priority.NORMAL
    app: str | None = None


class BatchBody(BaseModel):
    """Several jobs in one request; each item is judged on its own."""

    model_config = ConfigDict(extra="forbid")

    jobs: list[dict[str, Any]]


class JobView(BaseModel):
    """A job as the API shows it."""

    id: str
    app: str
    state: JobState
    priority: Priority
    attempts: int
    submitted_at_s: float
    started_at_s: float | None
    finished_at_s: float | None
    last_error: str | None
    filename: str | None

    @classmethod
    def of(cls, record: JobRecord) -> JobView:
        return cls(
            id=record.job_id,
            app=record.app,
            state=record.state,
            priority=record.priority,
            attempts=record.attempts,
            submitted_at_s=record.submitted_at_s,
            started_at_s=record.started_at_s,
            finished_at_s=record.finished_at_s,
            last_error=record.last_error,
            filename=record.filename,
        )


class BatchItemResult(BaseModel):
    """One item of a batch: `status` is the HTTP status that item alone would have had."""

    status: int
    job: JobView | None = None
    error: str | None = None


class BatchResult(BaseModel):
    items: list[BatchItemResult]


class JobList(BaseModel):
    jobs: list[JobView]
    limit: int
    offset: int


class DlqEntry(BaseModel):
    job_id: str | None
    message_id: str | None  # None: listed from the job store, not read from the queue
    receive_count: int  # receives the job used in its queue (its attempts)
    attempts: int | None
    last_error: str | None
    state: JobState | None


class DlqList(BaseModel):
    messages: list[DlqEntry]
    approximate_depth: int


class RedriveResult(BaseModel):
    task_handle: str | None
    moved_job_ids: list[str]


class ErrorBody(BaseModel):
    error: str
    detail: str
