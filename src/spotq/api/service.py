"""Submitting and reading jobs, with no HTTP in it: the routes parse, call one method, format."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from spotq.api.errors import NotFinished, UnknownJob
from spotq.api.gateway import QueueGateway
from spotq.api.outbox import Outbox, Pending
from spotq.clock import Clock
from spotq.jobs import JobMessage, JobRecord, JobState, Priority
from spotq.storage.base import BlobStore, JobStore, input_key
from spotq.storage.batch_ops import create_many
from spotq.storage.results import read_result

log = logging.getLogger("spotq.api")


@dataclass(frozen=True)
class Submission:
    """One job to submit: a JSON input, or an uploaded file with an optional JSON input."""

    input: dict[str, Any]
    priority: Priority = Priority.NORMAL
    idempotency_key: str | None = None
    data: bytes | None = None
    filename: str | None = None


class JobService:
    """Records jobs, enqueues their messages (claim-checking large inputs) and reads them back."""

    def __init__(
        self,
        *,
        app: str,
        jobs: JobStore,
        blobs: BlobStore,
        queues: QueueGateway,
        outbox: Outbox,
        clock: Clock,
        claim_check_bytes: int,
        reconcile_after_s: float = 10.0,
    ) -> None:
        self.app = app
        self.jobs = jobs
        self.blobs = blobs
        self.queues = queues
        self.outbox = outbox
        self.clock = clock
        self.claim_check_bytes = claim_check_bytes
        self.reconcile_after_s = reconcile_after_s

    def submit(self, sub: Submission) -> tuple[JobRecord, bool]:
        """Record and enqueue one job; with a known idempotency key return that job, unsent."""
        return self.submit_many([sub])[0]

    def submit_many(self, subs: Sequence[Submission]) -> list[tuple[JobRecord, bool]]:
        """Record every job, then send the new ones in SendMessageBatch calls per priority."""
        now_s = self.clock.now()
        prepared = [self._prepare(sub, now_s) for sub in subs]
        self.outbox.add(pending for _, pending in prepared)
        results = create_many(self.jobs, [record for record, _ in prepared])
        new = [p for (rec, created), (_, p) in zip(results, prepared, strict=True) if created]
        self.outbox.remove(
            p.job_id for (_, created), (_, p) in zip(results, prepared, strict=True) if not created
        )
        self._send(new)
        return results

    def _prepare(self, sub: Submission, now_s: float) -> tuple[JobRecord, Pending]:
        job_id = uuid.uuid4().hex
        message = JobMessage(
            job_id, self.app, sub.input, filename=sub.filename, submitted_at_s=now_s
        )
        body = message.encode()
        input_ref = None
        if sub.data is not None:
            input_ref = input_key(job_id)
            self.blobs.put(input_ref, sub.data)
        elif len(body.encode()) > self.claim_check_bytes:
            input_ref = input_key(job_id)
            self.blobs.put(input_ref, json.dumps(sub.input).encode())
        if input_ref is not None:
            body = replace(
                message, input=None if sub.data is None else sub.input, input_ref=input_ref
            ).encode()
        record = JobRecord(
            job_id=job_id,
            app=self.app,
            state=JobState.QUEUED,
            priority=sub.priority,
            submitted_at_s=now_s,
            input_ref=input_ref,
            filename=sub.filename,
            idempotency_key=sub.idempotency_key,
        )
        return record, Pending(job_id, sub.priority is Priority.HIGH, body, now_s)

    def _send(self, pending: Sequence[Pending]) -> None:
        sent: list[str] = []
        for high in (True, False):
            group = [(p.job_id, p.body) for p in pending if p.high is high]
            if not group:
                continue
            failed = self.queues.send_many(group, high=high)
            if failed:
                log.warning("enqueue failed for %d jobs; the reconciler will retry", len(failed))
            sent.extend(job_id for job_id, _ in group if job_id not in failed)
        if sent:
            self.outbox.remove(sent)

    def reconcile(self) -> int:
        """Send outbox entries left by failed enqueues or crashes; return how many were sent."""
        due = self.outbox.due(self.clock.now() - self.reconcile_after_s)
        resend: list[Pending] = []
        drop: list[str] = []
        for entry in due:
            record = self.jobs.get(entry.job_id)
            if record is not None and record.state is JobState.QUEUED and record.attempts == 0:
                resend.append(entry)
            else:
                drop.append(entry.job_id)
        self.outbox.remove(drop)
        self._send(resend)
        return len(resend)

    def get(self, job_id: str) -> JobRecord:
        record = self.jobs.get(job_id)
        if record is None or record.app != self.app:
            raise UnknownJob(f"no job with id {job_id!r}")
        return record

    def result(self, job_id: str) -> bytes:
        """The stored result JSON of a succeeded job."""
        record = self.get(job_id)
        if record.state is not JobState.SUCCEEDED:
            raise NotFinished(f"job {job_id} is {record.state.value}; it has no result")
        return read_result(self.jobs, self.blobs, record)

    def list_jobs(self, state: JobState | None, limit: int, offset: int) -> list[JobRecord]:
        states = [state] if state is not None else None
        return self.jobs.list(app=self.app, states=states, limit=limit, offset=offset)
