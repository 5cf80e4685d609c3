"""The storage seams. Keys are made by spotq (`inputs/<job id>`, `results/<job id>.json`), never
from user-supplied paths or names."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Protocol

from spotq.errors import ConfigError
from spotq.jobs import JobRecord, JobState

MAX_LIST_LIMIT = 1000
MAX_LIST_OFFSET = 2**63 - 1  # SQLite's largest integer; beyond it binding the offset fails


def check_page(limit: int, offset: int) -> None:
    """Validate a job listing's page: the same bounds for every job store."""
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ConfigError(f"limit: expected 1..{MAX_LIST_LIMIT}, got {limit}")
    if not 0 <= offset <= MAX_LIST_OFFSET:
        raise ConfigError(f"offset: expected 0..{MAX_LIST_OFFSET}, got {offset}")


@functools.cache
def class_implements(kind: type, capability: type) -> bool:
    """Whether a store class has the methods of a runtime-checkable Protocol `capability`. Asked
    per class and cached: isinstance against such a Protocol inspects every member on every
    call, which showed per job in worker profiles."""
    return issubclass(kind, capability)


def input_key(job_id: str) -> str:
    return f"inputs/{job_id}"


def result_key(job_id: str) -> str:
    return f"results/{job_id}.json"


class BlobStore(Protocol):
    """Bytes by key under one base URL (a local directory, or s3://bucket/prefix)."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def url(self, key: str) -> str: ...


class JobStore(Protocol):
    """Job records (SQLite locally, DynamoDB on AWS). Transitions are conditional so that a
    repeated or late update never moves a finished job backwards."""

    def create(self, record: JobRecord) -> tuple[JobRecord, bool]:
        """Insert; with an idempotency key already used, return the existing record and False."""
        ...

    def get(self, job_id: str) -> JobRecord | None: ...

    def mark_running(self, job_id: str, attempt: int, now_s: float) -> None: ...

    def mark_succeeded(self, job_id: str, result_ref: str, now_s: float) -> None: ...

    def mark_error(self, job_id: str, error: str, state: JobState, now_s: float) -> None:
        """Record a failed attempt: state is QUEUED (will retry), FAILED or DEAD."""
        ...

    def requeue(self, job_id: str) -> None:
        """Back to QUEUED with its run count reset (a dead job redriven from the DLQ gets
        max_receives fresh attempts)."""
        ...

    def list(
        self,
        *,
        app: str | None = None,
        states: Sequence[JobState] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[JobRecord]: ...

    def count_by_state(self, app: str | None = None) -> dict[JobState, int]: ...
