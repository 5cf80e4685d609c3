"""Where a job's result lives. A small result (up to INLINE_RESULT_MAX_BYTES of JSON) is kept in the
job's own record by a job store that can (SQLite): marking the job succeeded and storing its result
are then one update, with no file per job. Larger results, and every result of a store that
cannot (DynamoDB on AWS), go to the blob store under `results/<job id>.json`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeGuard, runtime_checkable

from spotq.errors import StorageError
from spotq.jobs import JobRecord
from spotq.storage.base import BlobStore, JobStore, class_implements, result_key

INLINE_RESULT_MAX_BYTES = 64 * 1024


@runtime_checkable
class InlineResultStore(Protocol):
    def mark_succeeded_inline_many(self, items: Sequence[tuple[str, bytes]], now_s: float) -> None:
        """Mark (job id, result JSON) pairs succeeded with the result in the record (jobs
        already succeeded keep their first result)."""
        ...

    def inline_result(self, job_id: str) -> bytes | None: ...


def keeps_inline(jobs: JobStore, data: bytes) -> bool:
    """Whether this result goes into the job record rather than the blob store."""
    return len(data) <= INLINE_RESULT_MAX_BYTES and inline_capable(jobs)


def inline_capable(jobs: JobStore) -> TypeGuard[InlineResultStore]:
    """Whether the job store can keep results in its records."""
    return class_implements(type(jobs), InlineResultStore)


def read_result(jobs: JobStore, blobs: BlobStore, record: JobRecord) -> bytes:
    """The stored result JSON of a succeeded job, wherever it was kept."""
    if record.result_ref is None and inline_capable(jobs):
        data = jobs.inline_result(record.job_id)
        if data is not None:
            return data
    try:
        return blobs.get(record.result_ref or result_key(record.job_id))
    except StorageError:
        raise StorageError(f"job {record.job_id}: its stored result is missing") from None
