"""Poison isolation: which received jobs run together and which run alone.

A job received for the first time runs in the handler's batch. A job received again
(ApproximateReceiveCount > 1: its last attempt failed, timed out, or its worker crashed, was killed
or was drained) runs alone, so a poison job that kills its process or hangs uses up only its own
receives, never its batch-mates'. SQS's receive count is the mark: nothing else has to be written
for the next receive to know.

Among the jobs to run alone, those that were received last time but never started (their job
record's `attempts` is below receive_count - 1: a crash or a hang earlier in the same receive
stopped the worker first) go first, so the job that did start and kill its worker last time runs
after them, not before them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from spotq.jobs import JobRecord


class _Received(Protocol):
    @property
    def job_id(self) -> str: ...

    @property
    def receive_count(self) -> int: ...


T = TypeVar("T", bound=_Received)


@dataclass(frozen=True)
class Plan(Generic[T]):
    batch: list[T]  # first receives: one handler call
    alone: list[T]  # receives after the first: one handler call each, in this order


def plan_runs(items: Sequence[T], records: dict[str, JobRecord]) -> Plan[T]:
    """Split received jobs into the batch and the ones to run alone (ordered as above)."""
    batch = [item for item in items if item.receive_count <= 1]
    again = [item for item in items if item.receive_count > 1]

    def started_last_time(item: T) -> bool:
        record = records.get(item.job_id)
        return record is not None and record.attempts >= item.receive_count - 1

    again.sort(key=started_last_time)  # stable: not-started first, receive order within each
    return Plan(batch, again)
