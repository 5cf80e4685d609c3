"""One received batch, start to finish: decode and fetch inputs, call the handler (in a thread,
under the job timeout), then per job store the result, mark it succeeded and delete its message —
in that order, so a crash between steps repeats work and never loses it.

Inputs: a message with `filename` set carries an uploaded file, fetched from `input_ref` into
`Job.data` (with `input` as its JSON options); a message with `input_ref` and no filename carries a
claim-checked JSON input, fetched and decoded into `Job.input`.

Job-state writes between two handler calls are one transaction: when the worker already holds
the next batch (prefetch), this batch's successes wait and are recorded together with the next
batch's running marks; otherwise (and before any input download, receive or wait) at once. A crash
in between runs those jobs again; it never loses one.

Deletes are sent 10 at a time, or at most _DELETE_HOLD_S after the job's result was recorded (or
when the worker runs out of held messages): with prefetch and batch_size 1 that is one delete call
per receive rather than one per job. They are sent from a background thread (spotq.worker.deleter),
so the handler loop does not wait for their round trip.

Results: a small one is kept in the job record by a store that can (spotq.storage.results), so
"stored" and "marked succeeded" are one update; others are written to the blob store first.

Quick calls (each of the last few under 10 ms) run on the worker's own thread rather than the
handler thread, watched by a watchdog thread that gives up a call the handler thread would have
(timeout, memory limit, a drain's grace over) and ends the worker (spotq.worker.inline).

Isolation (spotq.worker.isolation): jobs received for the first time run as one handler call;
jobs received again run one call each, so a job that crashes or hangs its worker only uses up its
own receives. A handler that raises is retried job by job within the same attempt. A handler that
breaks its contract (not a list, or a wrong count) fails every job of the call with that error.

Failures: `JobFailed(retry=False)` marks the job failed and deletes the message. Any other error
marks it queued with `last_error` and hides the message for retry_backoff_s × 2^(attempt-1)
(capped); on the app's `max_receives`-th receive it is marked dead and made visible at once, so
the queue's redrive policy moves it to the dead-letter queue on its next receive.
"""

from __future__ import annotations

import json
import math
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from spotq.app import App, HandlerContractError, Job, JobFailed
from spotq.clock import Clock
from spotq.errors import StorageError
from spotq.jobs import JobMessage, JobRecord, JobState, MessageFormatError, Priority
from spotq.storage.base import BlobStore, JobStore, result_key
from spotq.storage.batch_ops import Progress, get_many, record_progress
from spotq.storage.results import keeps_inline
from spotq.worker.deleter import BackgroundDeleter
from spotq.worker.delivery import MAX_BATCH_ENTRIES, Delivery, delete, renew, set_visibility
from spotq.worker.foreign import decode_delivery
from spotq.worker.handler_thread import Call, HandlerThread
from spotq.worker.heartbeat import Heartbeat
from spotq.worker.hooks import JobTimings, WorkerHooks
from spotq.worker.inline import GaveUp, QuickCalls, Watchdog
from spotq.worker.isolation import plan_runs
from spotq.worker.memory import MemoryGuard
from spotq.worker.outcomes import (
    MAX_ERROR_CHARS,
    Failure,
    as_failure,
    clip,
    memory_error,
    retry_alone,
)

_MAX_VISIBILITY_S = 43_200
_DELETE_HOLD_S = 0.5  # a finished job's message is deleted at most this long after
_INTERRUPTED = "interrupted: the worker stopped before the job finished"
_DIED_LAST_RUN = "the worker running it stopped without finishing (killed?) on its last run"


@dataclass(frozen=True)
class _Prepared:
    delivery: Delivery
    job: Job
    fetch_s: float

    @property
    def job_id(self) -> str:
        return self.job.id

    @property
    def runs_before(self) -> int:
        return self.job.attempt - 1


@dataclass(frozen=True)
class _Stored:
    """A job that succeeded, its result ready (in the blob store, or `data` to keep inline), its
    success not yet recorded in the job store (see _record)."""

    item: _Prepared
    data: bytes
    inline: bool
    finished_at_s: float
    store_s: float
    handle_s: float
    batch_size: int


TIMED_OUT, MEMORY = "handler_timeout", "memory_exceeded"  # why a worker must stop after a call
ABANDONED = "abandoned"  # a drain's grace ran out during the call


@dataclass(frozen=True)
class InlineControl:
    """What lets the processor run quick calls inline (spotq.worker.inline): `abandon_due()`
    (read-only, any thread) says a drain's grace is over; `end(reason)` ends the worker once the
    watchdog has failed or released the given-up call's jobs (it exits the process)."""

    abandon_due: Callable[[], bool]
    end: Callable[[str], None]


@dataclass(frozen=True)
class BatchResult:
    stop: str | None = None  # TIMED_OUT or MEMORY: the handler thread cannot be reused
    abandoned: bool = False

    @property
    def timed_out(self) -> bool:
        return self.stop == TIMED_OUT


class BatchProcessor:
    """Processes batches for one app with one loaded model."""

    def __init__(
        self,
        app: App,
        model: Any,
        *,
        sqs: Any,
        blobs: BlobStore,
        jobs: JobStore,
        hooks: WorkerHooks,
        clock: Clock,
        max_backoff_s: float,
        memory_guard: MemoryGuard | None = None,
        inline: InlineControl | None = None,
    ) -> None:
        """Without `inline`, every call runs on the handler thread."""
        self._app = app
        self._model = model
        self._sqs = sqs
        self._blobs = blobs
        self._jobs = jobs
        self._hooks = hooks
        self._clock = clock
        self._max_backoff_s = max_backoff_s
        self._guard = memory_guard  # its hard limit is checked while a handler runs
        self._stop: str | None = None
        self._to_delete: list[Delivery] = []
        self._unrecorded: list[_Stored] = []
        self._to_delete_since_s = 0.0
        self._handler = HandlerThread()
        self._inline = inline
        self._quick = QuickCalls()
        self._watchdog = Watchdog(self._must_give_up, self._give_up) if inline else None
        self._running: tuple[list[list[_Prepared]], int, float] | None = None  # inline call
        self._heartbeat = Heartbeat(
            sqs,
            app.options.visibility_timeout_s,
            on_error=lambda error: hooks.on_error("heartbeat", error),
        )
        self._deleter = BackgroundDeleter(
            sqs, self._heartbeat, on_errors=lambda errors: self._report("delete", errors)
        )

    def swap_model(self, model: Any) -> None:
        """Use `model` from the next batch on (a reloaded model artifact; called between
        batches, so no handler call sees two models)."""
        self._model = model

    def close(self) -> None:
        """Record and delete what is left, stop the delete and heartbeat threads (the handler
        thread is a daemon and ends with the process)."""
        self.flush()
        self._deleter.close()
        self._heartbeat.close()

    def hurry_deletes(self) -> None:
        """The worker is draining: deletes no longer wait for company (safe from a signal
        handler)."""
        self._deleter.hurry()

    @property
    def held(self) -> int:
        """Messages this worker holds in flight: received and not yet deleted or given back."""
        return self._heartbeat.held

    def held_settled(self, timeout_s: float) -> int:
        """`held` once the deletes handed over have had their replies (at most `timeout_s`), so
        it agrees with the queue's in-flight count: until a reply, a deleted message may be gone
        from the queue's count and still in this one."""
        self._deleter.settle(timeout_s)
        return self._heartbeat.held

    def hold(self, deliveries: Sequence[Delivery]) -> None:
        """Keep received messages invisible (heartbeat) until processed or released."""
        self._heartbeat.add(deliveries)

    def process(
        self,
        deliveries: Sequence[Delivery],
        abandon: Callable[[], bool],
        more_held: bool = False,
    ) -> BatchResult:
        """Run one batch of held messages; `abandon()` turning True (drain grace over) releases
        unfinished jobs. With `more_held` (the worker holds the next batch already), this
        batch's successes are recorded with the next batch's running marks, in one transaction;
        deletes of finished jobs may wait for `flush` (see _finish)."""
        self._stop = None
        gave_up = False
        try:
            return self._process(deliveries, abandon)
        except GaveUp:  # the watchdog has recorded, released and closed everything (_give_up)
            gave_up = True
            raise
        finally:
            if not gave_up:
                self._settle(deliveries, more_held)

    def _settle(self, deliveries: Sequence[Delivery], more_held: bool) -> None:
        """After a batch: record its successes unless `more_held` lets them wait, stop the
        heartbeat of what is done, and send the deletes that have waited long enough."""
        if not more_held or self._stop is not None:
            self._record()
        waiting = {d.receipt_handle for d in self._to_delete}
        waiting.update(s.item.delivery.receipt_handle for s in self._unrecorded)
        self._heartbeat.drop([d for d in deliveries if d.receipt_handle not in waiting])
        waited_s = self._clock.monotonic() - self._to_delete_since_s
        if self._to_delete and waited_s >= _DELETE_HOLD_S:
            self.flush()

    def flush(self) -> None:
        """Record the successes not yet recorded, then hand the messages of succeeded jobs to
        the background deleter (their heartbeat ends once the delete is sent)."""
        self._record()
        if self._to_delete:
            done, self._to_delete = self._to_delete, []
            self._deleter.submit(done)

    def release_unstarted(self, deliveries: Sequence[Delivery]) -> None:
        """Give back received messages whose jobs have not started (prefetched, or received as a
        drain began): visible again at once, renewed on their last allowed receive so the
        redrive policy does not count a receive that never ran them."""
        self._heartbeat.drop(deliveries)
        kept = [d for d in deliveries if not self._renew_if_last(d, 0)]
        self._report("release", set_visibility(self._sqs, kept, 0))

    def _process(self, deliveries: Sequence[Delivery], abandon: Callable[[], bool]) -> BatchResult:
        groups = self._prepare(deliveries)
        for index, group in enumerate(groups):
            alone = index > 0 or group[0].runs_before > 0  # marked just before it runs
            if alone and not self._mark_running(group):
                continue
            started = self._clock.monotonic()
            self._running = (groups, index, started)  # for the watchdog, if it runs inline
            outcomes = self._run([p.job for p in group], abandon, may_inline=True)
            handle_s = self._clock.monotonic() - started
            self._quick.note(handle_s)
            if outcomes is None:
                self._release(_flat(groups[index:]), _INTERRUPTED)
                return BatchResult(abandoned=True)
            self._apply(group, outcomes, handle_s)
            if self._stop is not None:
                self._release_after_stop(groups[index + 1 :])
                return BatchResult(stop=self._stop)
        return BatchResult()

    def _release_after_stop(self, groups: list[list[_Prepared]]) -> None:
        """The calls not made because the worker stops (self._stop) after this one."""
        self._release(_flat(groups), f"not run: the worker stopped ({self._stop}) first")

    def _run(
        self, jobs: list[Job], abandon: Callable[[], bool], may_inline: bool = False
    ) -> list[Any] | None:
        """One outcome per job (a result or a Failure); None when a drain abandoned the call.
        With `may_inline` and recent calls quick, the call runs on this thread (may raise
        GaveUp: the watchdog ended the worker meanwhile)."""
        model = self._model
        deadline_s = self._clock.monotonic() + self._app.options.job_timeout_s * len(jobs)
        if may_inline and self._watchdog is not None and self._quick.quick:
            call = Call(lambda: self._app.handle(model, jobs))
            self._watchdog.run(call, deadline_s)
            finished: str | None = "done"
        else:
            call = self._handler.submit(lambda: self._app.handle(model, jobs))
            finished = self._wait(call, abandon, deadline_s)
        if finished is None:
            return None
        if finished != "done":
            return self._stopped(finished, len(jobs))
        if retry_alone(call.error) and len(jobs) > 1:
            return self._isolate(jobs, abandon)
        return self._outcomes(call, len(jobs))

    def _overrun(self, deadline_s: float) -> str | None:
        """TIMED_OUT or MEMORY when the running call must be given up for it, else None."""
        if self._clock.monotonic() >= deadline_s:
            return TIMED_OUT
        if self._guard is not None and self._guard.over_limit():
            return MEMORY
        return None

    def _stopped(self, stop: str, n: int) -> list[Failure]:
        """The worker stops for `stop` (TIMED_OUT or MEMORY): the given-up call's outcomes."""
        self._stop = stop
        if stop == TIMED_OUT:
            timeout_s = self._app.options.job_timeout_s * n
            return [Failure(f"timed out: handler ran over {timeout_s:g} s")] * n
        assert self._guard is not None
        error = memory_error(self._guard, n)
        self._hooks.on_error("memory", error)
        return [Failure(error)] * n

    def _must_give_up(self, deadline_s: float) -> str | None:
        """On the watchdog thread, during an inline call: why it must be given up, if so."""
        assert self._inline is not None
        return ABANDONED if self._inline.abandon_due() else self._overrun(deadline_s)

    def _give_up(self, reason: str) -> None:
        """On the watchdog thread: what the worker's thread would have done had the call run on
        the handler thread (see _process), then end the worker. The worker's thread is inside
        the handler, so nothing else touches this processor meanwhile."""
        assert self._inline is not None and self._running is not None
        groups, index, started = self._running
        if reason == ABANDONED:
            self._release(_flat(groups[index:]), _INTERRUPTED)
        else:
            group = groups[index]
            outcomes = self._stopped(reason, len(group))
            self._apply(group, outcomes, self._clock.monotonic() - started)
            self._release_after_stop(groups[index + 1 :])
        self._inline.end(reason)

    def _isolate(self, jobs: list[Job], abandon: Callable[[], bool]) -> list[Any] | None:
        """The batch call raised: run each job alone, so one bad job cannot fail its batch-mates."""
        outcomes: list[Any] = []
        for job in jobs:
            if self._stop is not None:  # a stuck handler thread may still hold the model
                outcomes.append(Failure(f"not run: an earlier job's handler stopped the worker "
                                        f"({self._stop})"))  # fmt: skip
                continue
            one = self._run([job], abandon)
            if one is None:
                return None
            outcomes.extend(one)
        return outcomes

    def _wait(self, call: Call, abandon: Callable[[], bool], deadline_s: float) -> str | None:
        """ "done", TIMED_OUT or MEMORY (see _stopped); None: abandoned by a drain."""
        while not call.done.wait(0.05):
            if abandon():
                return None
            if stop := self._overrun(deadline_s):
                return stop
        return "done"

    def _prepare(self, deliveries: Sequence[Delivery]) -> list[list[_Prepared]]:
        """Decode, drop finished jobs, fetch inputs; return the handler calls to make in order
        (see spotq.worker.isolation). The first-receive batch is marked running here."""
        decoded = [(d, m) for d in deliveries if (m := self._decode(d)) is not None]
        if any(m.input_ref is not None for _, m in decoded):
            self._record()  # not held back while inputs download
        try:
            records = get_many(self._jobs, [m.job_id for _, m in decoded])
            live = [(d, m) for d, m in decoded if self._is_live(d, m, records.get(m.job_id))]
            prepared = [
                p for d, m in live if (p := self._load(d, m, records.get(m.job_id))) is not None
            ]
            plan = plan_runs(prepared)
            self._record([(p.job.id, p.job.attempt) for p in plan.batch])
        except StorageError as exc:  # the job store is unreachable: try again after a backoff
            self._hooks.on_error("jobs", str(exc))
            for delivery, _ in decoded:
                backoff_s = self._backoff_s(delivery.receive_count)
                self._report("visibility", set_visibility(self._sqs, [delivery], backoff_s))
            return []
        alone = plan.alone[:1] + [p for p in plan.alone[1:] if not self._renewed(p)]
        return ([plan.batch] if plan.batch else []) + [[p] for p in alone]

    def _renewed(self, item: _Prepared) -> bool:
        """A job waiting behind another one that runs alone, on its last allowed receive: if that
        one kills the worker, this one would go to the dead-letter queue without having run. Send
        it again as a new message instead (its runs are counted in the job record)."""
        if item.job.attempt > self._app.options.max_receives:
            return False
        return self._renew_if_last(item.delivery, 0)

    def _renew_if_last(self, delivery: Delivery, delay_s: int) -> bool:
        """On its last allowed receive, send the message again as a new one (visible after
        `delay_s`) and delete this one; True if that was done."""
        if delivery.receive_count < self._app.options.max_receives:
            return False
        errors = renew(self._sqs, delivery, delay_s)
        self._report("renew", errors)
        return not errors

    def _mark_running(self, group: list[_Prepared]) -> bool:
        try:
            self._record([(p.job.id, p.job.attempt) for p in group])
        except StorageError as exc:
            self._hooks.on_error("jobs", str(exc))
            for item in group:
                backoff_s = self._backoff_s(item.job.attempt)
                self._report("visibility", set_visibility(self._sqs, [item.delivery], backoff_s))
            return False
        return True

    def _load(
        self, delivery: Delivery, message: JobMessage, record: JobRecord | None
    ) -> _Prepared | None:
        started = self._clock.monotonic()
        runs_before = record.attempts if record is not None else 0
        try:
            job = self._load_job(delivery, message, runs_before + 1)
        except StorageError as exc:
            failure = Failure(f"input: {exc}")
            self._fail(delivery, message.job_id, failure, delivery.receive_count)
            return None
        return _Prepared(delivery, job, self._clock.monotonic() - started)

    def _decode(self, delivery: Delivery) -> JobMessage | None:
        try:
            message = decode_delivery(self._app, delivery)  # spotq's format, or the app's decoder
        except MessageFormatError as exc:
            error = str(exc)
        else:
            if message.app == self._app.name:
                return message
            error = f"message for app {message.app!r}, this worker runs {self._app.name!r}"
        # Not ours to judge further: hide it for a backoff; the redrive policy takes it to the DLQ.
        self._hooks.on_bad_message(delivery.message_id, error)
        self._report(
            "visibility",
            set_visibility(self._sqs, [delivery], self._backoff_s(delivery.receive_count)),
        )
        return None

    def _is_live(self, delivery: Delivery, message: JobMessage, record: JobRecord | None) -> bool:
        """False for a repeated delivery of a job already finished (its delete was lost)."""
        if record is None:  # sent straight to the queue, not through the job API
            record, _ = self._jobs.create(_record_for(message, delivery))
        if record.state in (JobState.SUCCEEDED, JobState.FAILED):
            self._report("delete", delete(self._sqs, [delivery]))
            return False
        if record.state is JobState.DEAD:  # a renewed copy of a dead job: let redrive take it
            self._report("visibility", set_visibility(self._sqs, [delivery], 0))
            return False
        if record.attempts >= self._app.options.max_receives:  # died during its last run
            self._fail(delivery, message.job_id, Failure(_DIED_LAST_RUN), record.attempts)
            return False
        return True

    def _load_job(self, delivery: Delivery, message: JobMessage, attempt: int) -> Job:
        job_input = dict(message.input or {})
        data = None
        if message.input_ref is not None:
            blob = self._blobs.get(message.input_ref)
            if message.filename is not None:
                data = blob
            else:
                job_input = _decode_input(blob, message.input_ref)
        return Job(
            id=message.job_id,
            input=job_input,
            attempt=attempt,
            filename=message.filename,
            data=data,
            submitted_at_s=message.submitted_at_s or delivery.sent_at_s,
        )

    def _outcomes(self, call: Call, n: int) -> list[Any]:
        error = call.error
        if error is None:
            return [as_failure(value) for value in call.value]
        if isinstance(error, JobFailed):
            return [Failure(clip(str(error)), error.retry)] * n
        if isinstance(error, HandlerContractError):
            self._hooks.on_error("handler", str(error))
            return [Failure(clip(str(error)))] * n
        trace = "".join(traceback.format_exception(error))
        self._hooks.on_error("handler", clip(trace[-MAX_ERROR_CHARS:]))
        return [Failure(clip(f"{type(error).__name__}: {error}"))] * n

    def _apply(self, prepared: list[_Prepared], outcomes: list[Any], handle_s: float) -> None:
        """Failures are recorded at once; successes get their results ready (a large one in the
        blob store) and wait for _record."""
        for item, outcome in zip(prepared, outcomes, strict=True):
            if isinstance(outcome, Failure):
                self._fail(item.delivery, item.job.id, outcome, item.job.attempt)
                continue
            started = self._clock.monotonic()
            try:
                data = json.dumps(outcome, ensure_ascii=False, allow_nan=False).encode()
                inline = keeps_inline(self._jobs, data)
                if not inline:
                    self._blobs.put(result_key(item.job.id), data)
            except (StorageError, TypeError, ValueError) as exc:
                failure = Failure(clip(f"storing result: {exc}"))
                self._fail(item.delivery, item.job.id, failure, item.job.attempt)
                continue
            store_s = self._clock.monotonic() - started
            self._unrecorded.append(
                _Stored(item, data, inline, self._clock.now(), store_s, handle_s, len(prepared))
            )

    def _record(self, running: Sequence[tuple[str, int]] = ()) -> None:
        """Record the successes waiting since the last call, with `running` (job id, run count)
        marked running, in one transaction; then queue their deletes and report them. On a
        storage error the successes are retried as failed attempts; the error is raised again
        when `running` was given (the caller gives those messages back)."""
        stored, self._unrecorded = self._unrecorded, []
        started = self._clock.monotonic()
        progress = Progress(
            now_s=self._clock.now(),
            inline=[(s.item.job.id, s.data, s.finished_at_s) for s in stored if s.inline],
            by_ref=[
                (s.item.job.id, result_key(s.item.job.id), s.finished_at_s)
                for s in stored
                if not s.inline
            ],
            running=running,
        )
        try:
            record_progress(self._jobs, progress)
        except StorageError as exc:
            for s in stored:
                failure = Failure(clip(f"recording result: {exc}"))
                self._fail(s.item.delivery, s.item.job.id, failure, s.item.job.attempt)
            if running:
                raise
            return
        if not stored:
            return
        share_s = (self._clock.monotonic() - started) / len(stored)
        self._finish([s.item.delivery for s in stored])
        for s in stored:
            item = s.item
            wait_s = max(0.0, item.delivery.received_at_s - item.job.submitted_at_s)
            timings = JobTimings(wait_s, item.fetch_s, s.handle_s, s.store_s + share_s,
                                 s.batch_size)  # fmt: skip
            self._hooks.on_job_done(item.job.id, item.job.attempt, timings)

    def _finish(self, deliveries: list[Delivery]) -> None:
        """Queue the deletes of succeeded jobs' messages, sent 10 at a time (or by `flush`). A
        crash before the delete repeats no work: a redelivered message of a succeeded job is
        deleted unrun (_is_live)."""
        if deliveries and not self._to_delete:
            self._to_delete_since_s = self._clock.monotonic()
        self._to_delete.extend(deliveries)
        if len(self._to_delete) >= MAX_BATCH_ENTRIES:  # one DeleteMessageBatch call's most
            self.flush()

    def _fail(self, delivery: Delivery, job_id: str, failure: Failure, attempt: int) -> None:
        """Record a failed attempt (`attempt`: this job's run count) and hide, delete or renew
        its message. Dead after max_receives runs; a job with runs left whose message is on its
        last allowed receive is sent again as a new message, so the redrive policy does not take
        it to the dead-letter queue for receives that never ran it."""
        if not failure.retry:
            outcome, state = "failed", JobState.FAILED
        elif attempt >= self._app.options.max_receives:
            outcome, state = "dead", JobState.DEAD
        else:
            outcome, state = "retry", JobState.QUEUED
        try:
            self._jobs.mark_error(job_id, failure.error, state, self._clock.now())
        except StorageError as exc:
            self._hooks.on_job_failed(job_id, attempt, str(exc), "state_not_recorded")
        self._heartbeat.drop([delivery])
        if state is JobState.FAILED:
            self._report("delete", delete(self._sqs, [delivery]))
        else:
            backoff_s = self._backoff_s(attempt) if state is JobState.QUEUED else 0
            if not (state is JobState.QUEUED and self._renew_if_last(delivery, backoff_s)):
                self._report("visibility", set_visibility(self._sqs, [delivery], backoff_s))
        self._hooks.on_job_failed(job_id, attempt, failure.error, outcome)

    def _report(self, where: str, errors: list[str]) -> None:
        for error in errors:
            self._hooks.on_error(where, error)

    def _release(self, prepared: list[_Prepared], error: str) -> None:
        """Make messages visible again at once (renewed on their last allowed receive, see
        _fail); their jobs go back to queued with `error`."""
        if not prepared:
            return
        self.release_unstarted([p.delivery for p in prepared])
        for item in prepared:
            try:
                self._jobs.mark_error(item.job.id, error, JobState.QUEUED, self._clock.now())
            except StorageError as exc:  # the message is back in the queue: that is what counts
                self._hooks.on_error("jobs", str(exc))
            self._hooks.on_job_failed(item.job.id, item.job.attempt, error, "released")

    def _backoff_s(self, attempt: int) -> int:
        raw_s = self._app.options.retry_backoff_s * 2 ** max(0, attempt - 1)
        return int(min(math.ceil(min(raw_s, self._max_backoff_s)), _MAX_VISIBILITY_S))


def _flat(groups: Sequence[list[_Prepared]]) -> list[_Prepared]:
    return [p for group in groups for p in group]


def _record_for(message: JobMessage, delivery: Delivery) -> JobRecord:
    return JobRecord(
        job_id=message.job_id,
        app=message.app,
        state=JobState.QUEUED,
        priority=Priority.NORMAL,
        submitted_at_s=message.submitted_at_s or delivery.sent_at_s,
        input_ref=message.input_ref,
        filename=message.filename,
    )


def _decode_input(blob: bytes, key: str) -> dict[str, Any]:
    try:
        value = json.loads(blob)
    except ValueError as exc:
        raise StorageError(f"claim-checked input {key!r} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise StorageError(f"claim-checked input {key!r} is not a JSON object")
    return value
