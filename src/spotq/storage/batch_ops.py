"""Job-store updates for a whole batch at once. A store that implements `BatchJobStore` (SQLite:
one transaction per call) does each in one round trip; any other JobStore gets a loop over its
single-job methods, with the same conditional semantics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeGuard, runtime_checkable

from spotq.jobs import JobRecord
from spotq.storage.base import JobStore, class_implements


@runtime_checkable
class BatchJobStore(Protocol):
    def create_many(self, records: Sequence[JobRecord]) -> list[tuple[JobRecord, bool]]: ...

    def get_many(self, job_ids: Sequence[str]) -> dict[str, JobRecord]: ...

    def mark_running_many(self, items: Sequence[tuple[str, int]], now_s: float) -> None: ...

    def mark_succeeded_many(self, items: Sequence[tuple[str, str]], now_s: float) -> None: ...


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
