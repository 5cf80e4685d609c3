"""Poison isolation: which received jobs run together and which run alone.

A job that never ran runs in the handler's batch. A job that ran before (its job record counts
its runs: its last attempt failed, timed out, or its worker crashed, was killed or drained) runs
alone, so a poison job that kills its process or hangs uses up only its own attempts, never its
batch-mates'. The job record is the mark: nothing else has to be written for the next receive to
know. Jobs that ran fewer times go first, so the job that killed its worker last time runs after
the others received with it, not before them again.

A job's runs, not its message's receive count, decide when it is dead: a job received but not
run (its worker died first) is sent again as a new message on its last allowed receive (see
spotq.worker.batch), so receives that never ran it do not send it to the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class _Received(Protocol):
    @property
    def runs_before(self) -> int: ...


T = TypeVar("T", bound=_Received)


@dataclass(frozen=True)
class Plan(Generic[T]):
    batch: list[T]  # never ran: one handler call
    alone: list[T]  # ran before: one handler call each, in this order


def plan_runs(items: Sequence[T]) -> Plan[T]:
    """Split received jobs into the batch and the ones to run alone (fewest runs first)."""
    batch = [item for item in items if item.runs_before == 0]
    again = sorted((item for item in items if item.runs_before > 0), key=lambda i: i.runs_before)
    return Plan(batch, again)
