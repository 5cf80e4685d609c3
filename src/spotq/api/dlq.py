"""The dead-letter queue as jobs: list what is there, redrive it, and mark jobs whose messages
reached it as dead (a worker killed during its last allowed receive never records that itself)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from spotq.api.gateway import QueueGateway, job_id_of
from spotq.clock import Clock
from spotq.jobs import JobRecord, JobState
from spotq.storage.base import JobStore

_KILLED = "the worker holding it stopped without finishing (killed?) on its last allowed receive"


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    job_id: str | None
    receive_count: int
    record: JobRecord | None


class DeadLetters:
    """DLQ operations over a queue gateway and the job store."""

    def __init__(self, queues: QueueGateway, jobs: JobStore, clock: Clock) -> None:
        self.queues = queues
        self.jobs = jobs
        self.clock = clock
        self._seen: set[str] = set()  # message ids already reconciled by this process
        # The DLQ depth at the last peek: every peek is a receive that raises each message's
        # receive count, so an unchanged depth (nothing new arrived) is not peeked again.
        self._peeked_depth: int | None = None
        # A peek holds the DLQ's messages invisible for a moment: the fleet's reconcile pass and
        # the API's list and redrive (one process, one instance) take turns, so that none of them
        # finds the DLQ empty because another was looking at it (a redrive of "0 jobs").
        self._lock = threading.Lock()

    def peek(self, limit: int = 100) -> list[DeadLetter]:
        with self._lock:
            return self._peek(limit)

    def _peek(self, limit: int) -> list[DeadLetter]:
        letters = []
        for m in self.queues.peek_dlq(limit):
            job_id = job_id_of(m.body)
            record = self.jobs.get(job_id) if job_id else None
            letters.append(DeadLetter(m.message_id, job_id, m.receive_count, record))
        return letters

    def redrive(self, limit: int = 10_000) -> tuple[str | None, list[str]]:
        """Set the DLQ's jobs back to queued, then move its messages back to their queues.

        Requeueing first means a worker never receives a moved message for a job still `dead`;
        the reconciler skips its pass while a move task runs so it does not undo the requeue.
        """
        with self._lock:
            return self._redrive(limit)

    def _redrive(self, limit: int) -> tuple[str | None, list[str]]:
        letters = self._peek(limit)
        job_ids = [x.job_id for x in letters if x.job_id is not None and x.record is not None]
        for job_id in job_ids:
            self.jobs.requeue(job_id)
        self._seen.difference_update(x.message_id for x in letters)
        self._peeked_depth = None
        handle = self.queues.start_redrive() if letters else None
        return handle, job_ids

    def reconcile(self) -> int:
        """Mark jobs whose messages sit in the DLQ but whose records are not finished as dead."""
        with self._lock:
            return self._reconcile()

    def _reconcile(self) -> int:
        visible = self.queues.depth(self.queues.dlq_url).visible
        if visible == 0:
            self._peeked_depth = 0
            return 0
        if visible == self._peeked_depth or self.queues.redrive_running():
            return 0
        self._peeked_depth = visible
        marked = 0
        for letter in self._peek(limit=1000):
            if letter.message_id in self._seen:
                continue
            self._seen.add(letter.message_id)
            record = letter.record
            if record is None or record.state not in (JobState.QUEUED, JobState.RUNNING):
                continue
            error = record.last_error or _KILLED
            self.jobs.mark_error(record.job_id, error, JobState.DEAD, self.clock.now())
            marked += 1
        return marked
