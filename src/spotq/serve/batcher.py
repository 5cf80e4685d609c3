"""Adaptive micro-batching: concurrent requests share handler calls of up to `batch_size`.

While the model is busy, arriving requests queue and the next call takes up to `batch_size` of
them at once, so batches grow with load on their own. When the model is idle, the first request
waits at most `max_batch_wait_ms` for company, and not at all when requests have been arriving
further apart than that: the median of the last _GAPS gaps between arrivals, not their mean,
since clients that wait for their answers arrive in bursts (a closed loop of 10 sends 10 requests
within milliseconds, then nothing until the batch is answered; a mean of those gaps kept the
batcher from waiting, and 10 whisper clients settled into batches of 2 and 8).

A request whose expected wait would break its latency budget is refused at once with 503 and
Retry-After (load shedding) instead of being served late.
"""

from __future__ import annotations

import asyncio
import collections
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spotq.api.errors import Overloaded
from spotq.app import App, Job
from spotq.serve.lane import ModelLane, Priority
from spotq.serve.metrics import ServeMetrics
from spotq.serve.settings import ServeSettings

_EMA_WEIGHT = 0.2  # of the newest observation in the running averages
_GAPS = 16  # recent gaps between arrivals that decide whether company is likely


@dataclass
class _Waiting:
    job: Job
    enqueued_s: float
    deadline_s: float
    future: asyncio.Future[tuple[Any, int]]
    started_s: float = 0.0


@dataclass(frozen=True)
class Answer:
    """One request's outcome: the handler's result (or JobFailed/exception) and how it ran."""

    result: Any
    batch_size: int
    queue_wait_s: float


class MicroBatcher:
    def __init__(
        self,
        app: App,
        model: Callable[[], Any],
        lane: ModelLane,
        settings: ServeSettings,
        metrics: ServeMetrics,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app, self._model, self._lane = app, model, lane
        self._settings, self._metrics, self._clock = settings, metrics, clock
        self._queue: collections.deque[_Waiting] = collections.deque()
        self._arrived = asyncio.Event()
        self._batch_s = 0.0  # running average of one handler call; 0 until one has run
        self._gaps_s: collections.deque[float] = collections.deque(maxlen=_GAPS)
        self._last_arrival_s: float | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="spotq-batcher")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def expected_wait_s(self, queued: int) -> float:
        """Seconds a request queued behind `queued` others waits before its own call starts."""
        calls = math.ceil(queued / self._settings.batch_size) + int(self._lane.busy)
        return calls * self._batch_s

    async def submit(self, job: Job) -> Answer:
        """Queue one request and wait for its batch; Overloaded when it would be late."""
        now = self._clock()
        self._admit(now)
        future: asyncio.Future[tuple[Any, int]] = asyncio.get_running_loop().create_future()
        waiting = _Waiting(job, now, now + self._settings.latency_budget_s, future)
        self._queue.append(waiting)
        self._arrived.set()
        result, size = await future
        return Answer(result, size, waiting.started_s - now)

    def _admit(self, now: float) -> None:
        if self._last_arrival_s is not None:
            self._gaps_s.append(now - self._last_arrival_s)
        self._last_arrival_s = now
        queued = len(self._queue)
        if queued >= self._settings.max_queue:
            self._shed("queue_full")
            raise Overloaded(
                f"{queued} requests are already waiting (the limit is {self._settings.max_queue})",
                self.expected_wait_s(queued),
            )
        wait_s = self.expected_wait_s(queued)
        expected_s = wait_s + self._batch_s
        # Nothing ahead: serve it now even if one call alone is over the budget (shedding it
        # would help nobody); with work ahead, shed what would finish past the budget.
        if wait_s > 0 and expected_s > self._settings.latency_budget_s:
            self._shed("budget")
            raise Overloaded(
                f"an answer is expected in {expected_s:.3f} s ({wait_s:.3f} s of it waiting), "
                f"over the latency budget of {self._settings.latency_budget_s:.3f} s",
                wait_s,
            )

    def _shed(self, reason: str) -> None:
        self._metrics.shed.labels(reason).inc()

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._arrived.clear()
                await self._arrived.wait()
            await self._gather()
            batch = self._take()
            if batch:
                await self._call(batch)

    async def _gather(self) -> None:
        """Wait briefly for more requests when a batch is not full and company is likely."""
        size = self._settings.batch_size
        wait_s = self._settings.max_batch_wait_s
        if len(self._queue) >= size or wait_s <= 0 or self._typical_gap_s() > wait_s:
            return
        oldest = self._queue[0]
        # Never wait so long that the oldest request's budget could no longer be met.
        wait_s = min(wait_s, oldest.deadline_s - self._clock() - self._batch_s)
        until = self._clock() + wait_s
        while len(self._queue) < size and (left := until - self._clock()) > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except TimeoutError:
                break

    def _typical_gap_s(self) -> float:
        return statistics.median(self._gaps_s) if self._gaps_s else math.inf

    def _take(self) -> list[_Waiting]:
        """Up to batch_size live requests; ones whose caller left or whose budget already passed
        (the estimate was wrong) are dropped or shed here rather than computed late."""
        batch: list[_Waiting] = []
        now = self._clock()
        while self._queue and len(batch) < self._settings.batch_size:
            waiting = self._queue.popleft()
            if waiting.future.done():
                continue
            if now > waiting.deadline_s:
                self._shed("late")
                waiting.future.set_exception(
                    Overloaded("the request waited past its latency budget", self._batch_s)
                )
                continue
            waiting.started_s = now
            self._metrics.queue_wait.observe(now - waiting.enqueued_s)
            batch.append(waiting)
        return batch

    async def _call(self, batch: list[_Waiting]) -> None:
        jobs = [w.job for w in batch]
        started = self._clock()
        model = self._model()
        try:
            results = await self._lane.call(
                Priority.BATCH, lambda: run_jobs(self._app, model, jobs)
            )
        except Exception as exc:  # the lane itself failed: answer everyone, keep batching
            for waiting in batch:
                if not waiting.future.done():
                    waiting.future.set_exception(exc)
            return
        took_s = self._clock() - started
        self._batch_s = took_s if self._batch_s == 0 else _ema(self._batch_s, took_s)
        self._metrics.batch_size.observe(len(batch))
        self._metrics.handler_seconds.observe(took_s)
        for waiting, result in zip(batch, results, strict=True):
            if not waiting.future.done():
                waiting.future.set_result((result, len(batch)))


def run_jobs(app: App, model: Any, jobs: list[Job]) -> list[Any]:
    """The handler over a batch; if the batch raises, each job again alone so only the bad one
    fails. A failed job's slot holds its exception (JobFailed or the error)."""
    try:
        return app.handle(model, jobs)
    except Exception as exc:
        if len(jobs) == 1:
            return [exc]
    results: list[Any] = []
    for job in jobs:
        try:
            results.extend(app.handle(model, [job]))
        except Exception as exc:
            results.append(exc)
    return results


def _ema(average: float, value: float) -> float:
    if math.isinf(average):
        return value
    return (1 - _EMA_WEIGHT) * average + _EMA_WEIGHT * value
