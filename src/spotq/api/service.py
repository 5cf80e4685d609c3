"""Submitting and reading jobs, with no HTTP in it: the routes parse, call one method, format."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from spotq.api.errors import InvalidInput, NotFinished, UnknownJob
from spotq.api.gateway import QueueGateway, SendFailure
from spotq.api.outbox import Outbox, Pending
from spotq.api.wire import carriable_body, check_depth, check_text
from spotq.clock import Clock
from spotq.errors import StorageError
from spotq.jobs import JobMessage, JobRecord, JobState, Priority
from spotq.storage.base import BlobStore, JobStore, input_key
from spotq.storage.batch_ops import create_many, get_many
from spotq.storage.errors import StorageFull
from spotq.storage.results import read_result

log = logging.getLogger("spotq.api")


@dataclass(frozen=True)
class Reconciled:
    """One reconciler pass: messages really sent, still waiting (the send failed; retried next
    pass), refused by the queue (their jobs failed), and why sends failed."""

    sent: int = 0
    waiting: int = 0
    refused: int = 0
    reasons: tuple[str, ...] = ()


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
        max_input_depth: int = 100,
    ) -> None:
        self.app = app
        self.jobs = jobs
        self.blobs = blobs
        self.queues = queues
        self.outbox = outbox
        self.clock = clock
        self.claim_check_bytes = claim_check_bytes
        self.reconcile_after_s = reconcile_after_s
        self.max_input_depth = max_input_depth
        self._reconciling = threading.Lock()  # one pass at a time, or both would send an entry

    def submit(self, sub: Submission) -> tuple[JobRecord, bool]:
        """Record and enqueue one job; with a known idempotency key return that job, unsent."""
        [outcome] = self.submit_many([sub])
        if isinstance(outcome, InvalidInput):
            raise outcome
        return outcome

    def submit_many(
        self, subs: Sequence[Submission]
    ) -> list[tuple[JobRecord, bool] | InvalidInput]:
        """Record every job, then send the new ones in SendMessageBatch calls per priority. A
        submission whose message cannot be built (InvalidInput) gets that error in its place.

        Raises (StorageFull, StorageError) only while nothing is recorded; once the records are
        written it returns them, whatever happens to the sends and the outbox clean-up after."""
        now_s = self.clock.now()
        outcomes: list[tuple[JobRecord, Pending] | InvalidInput] = []
        for sub in subs:
            try:
                outcomes.append(self._prepare(sub, now_s))
            except InvalidInput as exc:
                outcomes.append(exc)
            except StorageError as exc:  # a claim-checked input or an upload could not be kept
                raise _not_recorded(exc, len(subs)) from None
        prepared = [o for o in outcomes if not isinstance(o, InvalidInput)]
        recorded = iter(self._record(prepared))
        return [o if isinstance(o, InvalidInput) else next(recorded) for o in outcomes]

    def _record(
        self, prepared: Sequence[tuple[JobRecord, Pending]]
    ) -> list[tuple[JobRecord, bool]]:
        if not prepared:
            return []
        pending = [p for _, p in prepared]
        try:
            self.outbox.add(pending)
            results = create_many(self.jobs, [record for record, _ in prepared])
        except StorageError as exc:
            self._forget([p.job_id for p in pending])
            raise _not_recorded(exc, len(prepared)) from None
        pairs = list(zip(results, pending, strict=True))
        self._forget([p.job_id for (_, created), p in pairs if not created])
        failed = self._send([p for (_, created), p in pairs if created])
        refused = [job_id for job_id, f in failed.items() if f.permanent]
        if refused:  # show those jobs as they now are: failed, with the queue's reason
            now = get_many(self.jobs, refused)
            results = [(now.get(r.job_id, r), created) for r, created in results]
        return results

    def _forget(self, job_ids: Sequence[str]) -> None:
        """Drop outbox entries; a failure only leaves work for the reconciler, which drops an
        entry without a record and resends a queued one (a repeat, never a lost job)."""
        if not job_ids:
            return
        try:
            self.outbox.remove(job_ids)
        except StorageError as exc:
            log.warning(
                "could not clear %d outbox entries (%s); the reconciler will", len(job_ids), exc
            )

    def _prepare(self, sub: Submission, now_s: float) -> tuple[JobRecord, Pending]:
        if sub.idempotency_key is not None:
            if not sub.idempotency_key:  # else every key-less retry would be one job
                raise InvalidInput("idempotency_key: must not be empty (leave it out instead)")
            check_text(sub.idempotency_key, "idempotency_key")
        job_id = uuid.uuid4().hex
        message = JobMessage(
            job_id, self.app, sub.input, filename=sub.filename, submitted_at_s=now_s
        )
        try:
            body = carriable_body(message.encode())
        except RecursionError:
            raise InvalidInput(f"input: nested deeper than {self.max_input_depth} levels") from None
        check_depth(sub.input, body, self.max_input_depth, "input")
        input_ref = None
        if sub.data is not None:
            input_ref = input_key(job_id)
            self.blobs.put(input_ref, sub.data)
        elif len(body.encode()) > self.claim_check_bytes:
            input_ref = input_key(job_id)
            self.blobs.put(input_ref, json.dumps(sub.input).encode())
        if input_ref is not None:
            body = carriable_body(
                replace(
                    message, input=None if sub.data is None else sub.input, input_ref=input_ref
                ).encode()
            )
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

    def _send(self, pending: Sequence[Pending]) -> dict[str, SendFailure]:
        """Send messages and return every failure. A job whose message the queue refuses for
        good (`permanent`) is failed, since it could never run; other failures stay in the
        outbox for the reconciler."""
        failed: dict[str, SendFailure] = {}
        for high in (True, False):
            group = [(p.job_id, p.body) for p in pending if p.high is high]
            if group:
                failed.update(self.queues.send_many(group, high=high))
        done = [p.job_id for p in pending if p.job_id not in failed]
        for job_id, failure in failed.items():
            if failure.permanent and self._fail_refused(job_id, failure):
                done.append(job_id)
        self._forget(done)
        return failed

    def _fail_refused(self, job_id: str, failure: SendFailure) -> bool:
        error = f"the queue refused the job's message: {failure.reason}"
        try:
            self.jobs.mark_error(job_id, error, JobState.FAILED, self.clock.now())
        except StorageError as exc:  # its outbox entry stays: the reconciler tries again
            log.warning("could not mark job %s failed: %s", job_id, exc)
            return False
        return True

    def reconcile(self) -> Reconciled:
        """Send outbox entries left by failed enqueues or crashes; say what really happened."""
        with self._reconciling:
            return self._reconcile()

    def _reconcile(self) -> Reconciled:
        due = self.outbox.due(self.clock.now() - self.reconcile_after_s)
        records = get_many(self.jobs, [entry.job_id for entry in due])
        resend: list[Pending] = []
        drop: list[str] = []
        for entry in due:
            record = records.get(entry.job_id)
            if record is not None and record.state is JobState.QUEUED and record.attempts == 0:
                resend.append(entry)
            else:
                drop.append(entry.job_id)
        self._forget(drop)
        failed = self._send(resend)
        refused = sum(f.permanent for f in failed.values())
        return Reconciled(
            sent=len(resend) - len(failed),
            waiting=len(failed) - refused,
            refused=refused,
            reasons=tuple(sorted({f.reason for f in failed.values()})),
        )

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


def _not_recorded(exc: StorageError, count: int) -> StorageError:
    """The same kind of error, saying plainly that no job of the request exists."""
    what = "the job was not recorded" if count == 1 else f"none of the {count} jobs was recorded"
    cls = StorageFull if isinstance(exc, StorageFull) else StorageError
    return cls(f"{what}; retry later (nothing was enqueued): {exc}")
