"""Job-store updates for a whole batch at once. A store that implements `BatchJobStore` (SQLite:
one transaction per call) does each in one round trip; any other JobStore gets a loop over its
single-job methods, with the same conditional semantics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeGuard, cast, runtime_checkable

from spotq.jobs import JobRecord
from spotq.storage.base import JobStore, class_implements
from spotq.storage.results import inline_capable


@dataclass(frozen=True)
class Progress:
    """A worker's job-state writes between two handler calls: jobs that succeeded (result kept
    inline, or stored under a key; each with its own finish time) and jobs about to run (with
    their run count, started at `now_s`)."""

    now_s: float
    inline: Sequence[tuple[str, bytes, float]] = field(default_factory=tuple)
    by_ref: Sequence[tuple[str, str, float]] = field(default_factory=tuple)
    running: Sequence[tuple[str, int]] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.inline or self.by_ref or self.running)


@runtime_checkable
class BatchJobStore(Protocol):
    def create_many(self, records: Sequence[JobRecord]) -> list[tuple[JobRecord, bool]]: ...

    def get_many(self, job_ids: Sequence[str]) -> dict[str, JobRecord]: ...

    def mark_running_many(self, items: Sequence[tuple[str, int]], now_s: float) -> None: ...

    def mark_succeeded_many(self, items: Sequence[tuple[str, str]], now_s: float) -> None: ...


@runtime_checkable
class ProgressJobStore(Protocol):
    def record_progress(self, progress: Progress) -> None: ...


def _batched(store: JobStore) -> TypeGuard[BatchJobStore]:
    """Whether the store has the batch methods."""
    return class_implements(type(store), BatchJobStore)


def create_many(store: JobStore, records: Sequence[JobRecord]) -> list[tuple[JobRecord, bool]]:
    """`create` for each record: (the record or the one its idempotency key found, created)."""
    if _batched(store):
        return store.create_many(records)
    return [store.create(record) for record in records]


def get_many(store: JobStore, job_ids: Sequence[str]) -> dict[str, JobRecord]:
    """Records by job id; ids without a record are left out."""
    if _batched(store):
        return store.get_many(job_ids)
    found = {job_id: store.get(job_id) for job_id in job_ids}
    return {job_id: record for job_id, record in found.items() if record is not None}


def mark_running_many(store: JobStore, items: Sequence[tuple[str, int]], now_s: float) -> None:
    """`mark_running` for each (job id, attempt)."""
    if _batched(store):
        store.mark_running_many(items, now_s)
        return
    for job_id, attempt in items:
        store.mark_running(job_id, attempt, now_s)


def mark_succeeded_many(store: JobStore, items: Sequence[tuple[str, str]], now_s: float) -> None:
    """`mark_succeeded` for each (job id, result key)."""
    if _batched(store):
        store.mark_succeeded_many(items, now_s)
        return
    for job_id, result_ref in items:
        store.mark_succeeded(job_id, result_ref, now_s)


def record_progress(store: JobStore, progress: Progress) -> None:
    """`progress` in one transaction where the store can (SQLite), else job by job: successes
    first, in the order they finished, then the running marks."""
    if class_implements(type(store), ProgressJobStore):
        cast(ProgressJobStore, store).record_progress(progress)
        return
    if progress.inline:
        if not inline_capable(store):
            raise TypeError("inline results given to a store that cannot keep them")
        for job_id, data, at_s in progress.inline:
            store.mark_succeeded_inline_many([(job_id, data)], at_s)
    for job_id, result_ref, at_s in progress.by_ref:
        store.mark_succeeded(job_id, result_ref, at_s)
    mark_running_many(store, progress.running, progress.now_s)
