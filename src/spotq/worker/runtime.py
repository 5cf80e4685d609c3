"""The worker loop: load the model once, then receive → process until drained or idle too long.

Receiving serves the high-priority queue first: a non-waiting receive there, then prefetched
messages (spotq.worker.prefetch), then what a read-ahead received while the last of them ran
(spotq.worker.readahead), then a short long-poll (`poll_wait_s`) on the normal queue, so a
high-priority job never waits behind a long poll, nor more than one handler call (or 0.1 s, the
re-check interval, when calls are quicker) behind normal batches, and a drain is noticed within
`poll_wait_s`. With slow handler calls a receive takes only the worker's fair share of a short
backlog (spotq.worker.share).
Everything else (logging, status file, task protection) happens in hooks.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from spotq.app import App
from spotq.clock import Clock, SystemClock
from spotq.errors import AppError, ConfigError
from spotq.extras import describe_missing
from spotq.queues import QueueUrls, open_queues, redrive_warning
from spotq.stack import StackConfig
from spotq.storage.base import BlobStore, JobStore
from spotq.worker.batch import MEMORY, TIMED_OUT, BatchProcessor, InlineControl
from spotq.worker.delivery import Delivery, receive
from spotq.worker.hooks import Hooks, WorkerHooks
from spotq.worker.inline import GaveUp
from spotq.worker.memory import MemoryGuard, resolve_limit_bytes
from spotq.worker.model_reload import ModelReloader
from spotq.worker.prefetch import PrefetchBuffer
from spotq.worker.readahead import ReadAhead
from spotq.worker.share import fair_share, queue_backlog

EXIT_OK = 0
EXIT_HANDLER_TIMEOUT = 3  # a handler overran: its thread cannot be stopped, so the process ends
EXIT_MEMORY = 4  # a handler pushed RSS over the memory limit: the process ends to free it
_EXIT_FOR_STOP = {TIMED_OUT: EXIT_HANDLER_TIMEOUT, MEMORY: EXIT_MEMORY}
NOT_LOADED: Any = object()  # Worker(model=...): the default, load it in run()


def exit_process(code: int) -> None:
    """End the process now, from any thread (the worker's own may be stuck in a handler)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def load_model(app: App, reloader: ModelReloader | None = None) -> Any:
    """The app's model (through `reloader` for an app with a model artifact); a failing load()
    is an AppError that says what is missing."""
    try:
        return reloader.load_initial() if reloader else app.load_model()
    except Exception as exc:
        why = describe_missing(exc) or repr(exc)
        raise AppError(f"app {app.name!r}: load() failed: {why}") from exc


_HIGH_RECHECK_S = 0.1  # while busy with normal jobs, a high-priority job waits at most this long
_SETTLE_DELETES_S = 2.0  # before a fair-share count, wait at most this long for own deletes


@dataclass(frozen=True)
class WorkerConfig:
    grace_s: float = 30.0  # on a drain, how long in-flight work may take before it is released
    max_idle_s: float | None = None  # exit after this long without a job (None: never)
    poll_wait_s: int = 2  # long-poll wait on the normal queue
    max_backoff_s: float = 900.0  # cap on the retry backoff
    memory_check_s: float = 0.25  # re-check interval while paused by the memory guard
    error_pause_s: float = 1.0  # pause after a failed receive

    def __post_init__(self) -> None:
        if self.grace_s < 0:
            raise ConfigError(f"grace_s: expected >= 0, got {self.grace_s}")
        if self.max_idle_s is not None and self.max_idle_s < 0:
            raise ConfigError(f"max_idle_s: expected >= 0, got {self.max_idle_s}")
        if not 0 <= self.poll_wait_s <= 20:
            raise ConfigError(f"poll_wait_s: expected 0..20, got {self.poll_wait_s}")
        if self.max_backoff_s < 0:
            raise ConfigError(f"max_backoff_s: expected >= 0, got {self.max_backoff_s}")


class Worker:
    """One worker process's runtime. `request_drain` may be called from any thread or a signal
    handler: it only sets fields, which the loop reads."""

    def __init__(
        self,
        app: App,
        stack: StackConfig,
        *,
        sqs: Any,
        blobs: BlobStore,
        jobs: JobStore,
        config: WorkerConfig | None = None,
        hooks: WorkerHooks | None = None,
        clock: Clock | None = None,
        memory_guard: MemoryGuard | None = None,
        model_reloader: ModelReloader | None = None,
        model: Any = NOT_LOADED,
        hard_exit: Callable[[int], None] = exit_process,
    ) -> None:
        """`model`: one the caller loaded already (and announced with hooks.on_start), as a
        worker launched before its stack existed does. `hard_exit(code)`: how the watchdog of
        an inline handler call ends the process when it gives the call up (spotq.worker.inline)."""
        self._app = app
        self._model = model
        self._stack = stack
        self._sqs = sqs
        self._blobs = blobs
        self._jobs = jobs
        self._config = config or WorkerConfig()
        self._hooks: WorkerHooks = hooks or Hooks()
        self._clock = clock or SystemClock()
        self._guard = memory_guard or MemoryGuard(
            app.options.memory_threshold, resolve_limit_bytes(app.options.memory_limit_bytes)
        )
        self._hard_exit = hard_exit
        self._reloader = (
            model_reloader  # the app's model_uri: fetched, and reloaded when it changes
        )
        self._drain_reason: str | None = None
        self._drain_deadline_s = 0.0
        self._force = False
        self._announced = False
        self._paused = False
        self._exit_code = EXIT_OK
        self._high_checked_s = float("-inf")
        self._receive_errors = 0
        self._buffer = PrefetchBuffer(app.options.batch_size, app.options.prefetch)
        self._read_ahead: ReadAhead | None = None  # set up with the processor, in run()
        self._processor: BatchProcessor | None = None  # the same
        self._last_full = False  # the last receive on the normal queue came back full

    def request_drain(self, reason: str) -> None:
        """Stop receiving now, finish in-flight work within the grace period, release the rest.
        A second request releases in-flight work at once."""
        if self._drain_reason is not None:
            self._force = True
            return
        self._drain_deadline_s = self._clock.monotonic() + self._config.grace_s
        self._drain_reason = reason
        if self._processor is not None:  # the last deletes go now: the fleet waits for them
            self._processor.hurry_deletes()

    @property
    def draining(self) -> bool:
        return self._drain_reason is not None

    def run(self) -> int:
        """Load the model, serve until drained (or idle past max_idle_s); return the exit code."""
        model = self._model
        if model is NOT_LOADED:
            self._hooks.on_start(self._app.name, os.getpid())
            model = load_model(self._app, self._reloader)
        self._model = None  # the processor holds it (and swaps it on a reload)
        urls = open_queues(self._sqs, self._stack, self._app.options)
        if self._stack.work_queue:  # an existing queue: its redrive policy is not spotq's
            warning = redrive_warning(self._sqs, urls.normal, self._app.options.max_receives)
            if warning:
                self._hooks.on_error("queue", warning)
        processor = BatchProcessor(
            self._app,
            model,
            sqs=self._sqs,
            blobs=self._blobs,
            jobs=self._jobs,
            hooks=self._hooks,
            clock=self._clock,
            max_backoff_s=self._config.max_backoff_s,
            memory_guard=self._guard,
            inline=InlineControl(self._abandon_due, lambda reason: self._end(processor, reason)),
        )
        self._read_ahead = ReadAhead(
            lambda size: receive(self._sqs, urls.normal, size, 0, self._clock.now),
            processor.hold,
        )
        self._processor = processor
        if self.draining:  # asked before there was a processor to tell
            processor.hurry_deletes()
        self._hooks.on_ready()
        ended = False
        try:
            reason = self._loop(processor, urls)
        except GaveUp:  # only when hard_exit returned (tests): _end did the rest
            ended = True
            return self._exit_code
        finally:
            if not ended:
                processor.release_unstarted(self._unstarted())
                processor.close()
        self._hooks.on_stop(reason, self._exit_code)
        return self._exit_code

    def _abandon_due(self) -> bool:
        """A drain's grace is over (read-only: the watchdog thread asks it)."""
        if self._drain_reason is None:
            return False
        return self._force or self._clock.monotonic() >= self._drain_deadline_s

    def _end(self, processor: BatchProcessor, reason: str) -> None:
        """On the watchdog thread, once it gave up an inline call for `reason` and dealt with
        the call's jobs: what the end of run() does, then exit. The worker's thread is stuck in
        the handler meanwhile."""
        if reason in _EXIT_FOR_STOP:
            self._exit_code = _EXIT_FOR_STOP[reason]
            if self._drain_reason is None:
                self.request_drain(reason)
        try:
            self._notice_drain()
            processor.release_unstarted(self._unstarted())
            processor.close()
            self._hooks.on_stop(self._drain_reason or reason, self._exit_code)
        finally:  # whatever failed above, the process must not stay with a stuck thread
            self._hard_exit(self._exit_code)

    def _loop(self, processor: BatchProcessor, urls: QueueUrls) -> str:
        idle_since_s = self._clock.monotonic()
        busy = False
        while not self._notice_drain():
            self._maybe_swap_model(processor)
            deliveries = self._next_batch(processor, urls)
            if self._notice_drain():
                processor.release_unstarted(deliveries)
                break
            if not deliveries:
                if busy:
                    busy = False
                    self._hooks.on_idle()
                if self._idle_too_long(idle_since_s):
                    return "idle"
                continue
            if not busy:
                busy = True
                self._hooks.on_busy()
            self._hooks.on_batch_received(len(deliveries), deliveries[0].queue_url)
            started_s = self._clock.monotonic()
            more_held = len(self._buffer) > 0 or self._reading_ahead
            stop = processor.process(deliveries, lambda: self._abandon(processor), more_held).stop
            self._buffer.note_call(self._clock.monotonic() - started_s)
            if stop is not None:
                self._exit_code = _EXIT_FOR_STOP[stop]
                self.request_drain(stop)
            idle_since_s = self._clock.monotonic()
        return self._drain_reason or "drained"

    def _maybe_swap_model(self, processor: BatchProcessor) -> None:
        """Between batches: switch to a newer model artifact once it has loaded."""
        if self._reloader is not None and (model := self._reloader.poll()) is not None:
            processor.swap_model(model)

    def _idle_too_long(self, since_s: float) -> bool:
        limit_s = self._config.max_idle_s
        return limit_s is not None and self._clock.monotonic() - since_s >= limit_s

    def _notice_drain(self) -> bool:
        if self._drain_reason is None:
            return False
        if not self._announced:
            self._announced = True
            self._hooks.on_draining(self._drain_reason)
        return True

    def _abandon(self, processor: BatchProcessor) -> bool:
        """Called while a handler runs: True once a drain's grace period is over. A drain gives
        back the prefetched messages at once, not after the running call."""
        if not self._notice_drain():
            return False
        if len(self._buffer) or self._reading_ahead:
            processor.release_unstarted(self._unstarted())
        return self._abandon_due()

    def _next_batch(self, processor: BatchProcessor, urls: QueueUrls) -> list[Delivery]:
        """The next handler batch: high-priority messages first, then prefetched ones, then a
        fresh receive on the normal queue (its surplus kept for later calls)."""
        if self._memory_paused():
            processor.release_unstarted(self._unstarted())  # others may have room
            processor.flush()
            return []
        if self.draining:
            return []
        fresh: list[Delivery] = []
        try:
            high = self._receive_high(urls.high, self._app.options.batch_size)
            processor.hold(high)
            if not high and not len(self._buffer):
                fresh = self._receive_normal(processor, urls.normal)
        except (BotoCoreError, ClientError) as exc:
            self._receive_failed(str(exc))
            return []
        if self._receive_errors:
            self._hooks.on_error("receive", f"recovered after {self._receive_errors} failed "
                                 "receives")  # fmt: skip
            self._receive_errors = 0
        batch = high or (self._buffer.split(fresh) if fresh else self._buffer.take())
        if not high and not len(self._buffer) and self._last_full:
            assert self._read_ahead is not None
            self._read_ahead.start(self._buffer.read_ahead_size())
        return batch

    def _receive_normal(self, processor: BatchProcessor, url: str) -> list[Delivery]:
        """Held messages ran out: what the read-ahead got, else a long poll (deleting what is
        done first). Received messages are held (heartbeat) by the time this returns."""
        assert self._read_ahead is not None
        fresh = self._read_ahead.collect()
        asked = self._read_ahead.asked
        if not fresh:
            processor.flush()
            asked = self._receive_size(processor, url)
            fresh = receive(self._sqs, url, asked, self._config.poll_wait_s, self._clock.now)
            processor.hold(fresh)
        self._last_full = len(fresh) >= asked
        return fresh

    def _receive_size(self, processor: BatchProcessor, url: str) -> int:
        """The buffer's receive size, cut to this worker's fair share of a short backlog when
        handler calls are slow (spotq.worker.share). Messages of its own still in flight are not
        another worker's; deletes on the way are waited for first (a round trip, small beside a
        slow call), else a message deleted but not yet dropped here would be subtracted twice."""
        asked = self._buffer.receive_size
        if not self._buffer.slow_calls or asked <= 1:
            return asked
        mine = processor.held_settled(_SETTLE_DELETES_S)
        visible, in_flight = queue_backlog(self._sqs, url)  # a failure is a failed receive
        return fair_share(asked, self._app.options.batch_size, visible, max(0, in_flight - mine))

    @property
    def _reading_ahead(self) -> bool:
        return self._read_ahead is not None and self._read_ahead.in_flight

    def _unstarted(self) -> list[Delivery]:
        """Everything received and not started (buffered or read ahead), to give back."""
        read = self._read_ahead.collect_quietly() if self._read_ahead is not None else []
        return self._buffer.take_all() + read

    def _receive_failed(self, error: str) -> None:
        """Log the first failure of a run of them, then one line per back-off doubling; wait
        error_pause_s × 2^(n-1), at most 8× error_pause_s (the queue may be restarting)."""
        self._receive_errors += 1
        n = self._receive_errors
        if n & (n - 1) == 0:  # 1, 2, 4, 8, ...: not one line a second while the queue is down
            self._hooks.on_error("receive", f"{error} (failed receives in a row: {n})")
        self._sleep(self._config.error_pause_s * min(8, 2 ** (n - 1)))

    def _receive_high(self, url: str, n: int) -> list[Delivery]:
        """A non-waiting receive on the high queue: every loop while it has messages, otherwise
        at most every _HIGH_RECHECK_S while the normal queue keeps the worker busy."""
        now_s = self._clock.monotonic()
        if now_s - self._high_checked_s < _HIGH_RECHECK_S:
            return []
        deliveries = receive(self._sqs, url, n, 0, self._clock.now)
        self._high_checked_s = float("-inf") if deliveries else now_s
        return deliveries

    def _memory_paused(self) -> bool:
        over = self._guard.over()
        if over != self._paused:
            self._paused = over
            self._hooks.on_memory(over, self._guard.last_rss_bytes, self._guard.limit_bytes)
        if over:
            self._sleep(self._config.memory_check_s)
        return over

    def _sleep(self, seconds: float) -> None:
        end_s = self._clock.monotonic() + seconds
        while not self.draining and self._clock.monotonic() < end_s:
            time.sleep(min(0.05, seconds))
