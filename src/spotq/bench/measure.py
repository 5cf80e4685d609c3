"""Time an app's handler over the same jobs at several batch sizes, in one process, so that the
sizes are compared side by side (interleaved rounds, medians), without the queue around it.

What a worker pays per job is its share of a handler call: for batch size b, per-item seconds
is a call's time over b. That is the number `spotq plan` takes as `job_s: {batch: {b: s}}`.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from spotq.app import App, Job, JobFailed
from spotq.errors import ConfigError

Clock = Callable[[], float]


@dataclass(frozen=True)
class BatchSizeResult:
    """One batch size over every round: per-call seconds and what came back."""

    batch_size: int
    items: int  # jobs per round
    round_s: list[float]  # wall seconds of each round (all of its calls)
    call_s: list[float]  # every handler call, every round
    failed: int  # jobs the handler failed (JobFailed) in the last round

    @property
    def items_per_s(self) -> float:
        return self.items / statistics.median(self.round_s)

    @property
    def per_item_s(self) -> float:
        return statistics.median(self.round_s) / self.items

    @property
    def p95_call_s(self) -> float:
        return _quantile(self.call_s, 0.95)


@dataclass
class BenchReport:
    results: list[BatchSizeResult] = field(default_factory=list)
    load_s: float = 0.0

    def best(self) -> BatchSizeResult:
        return max(self.results, key=lambda r: r.items_per_s)


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def parse_batch_sizes(text: str) -> list[int]:
    """'1,2,4,8' -> [1, 2, 4, 8]; each must be a size the worker can receive (1..10)."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"--batch-sizes {text!r}: expected numbers like 1,2,4,8") from None
    if not sizes or any(not 1 <= size <= 10 for size in sizes):
        raise ConfigError(f"--batch-sizes {text!r}: each size must be 1..10 (an SQS receive)")
    return sorted(set(sizes))


def run_bench(
    app: App,
    jobs: list[Job],
    batch_sizes: list[int],
    rounds: int,
    clock: Clock = time.perf_counter,
    on_round: Callable[[int, int, float], None] | None = None,
) -> BenchReport:
    """Load the model once, warm it up on one batch, then time every batch size per round."""
    if not jobs:
        raise ConfigError("bench: give at least one input")
    started = clock()
    model = app.load_model()
    report = BenchReport(load_s=clock() - started)
    app.handle(model, jobs[: max(batch_sizes)])  # first calls pay one-off costs (allocations)
    round_s: dict[int, list[float]] = {size: [] for size in batch_sizes}
    call_s: dict[int, list[float]] = {size: [] for size in batch_sizes}
    failed: dict[int, int] = {}
    for n in range(rounds):
        for size in batch_sizes if n % 2 == 0 else batch_sizes[::-1]:
            calls, failed[size] = _one_round(app, model, jobs, size, clock)
            round_s[size].append(sum(calls))
            call_s[size] += calls
            if on_round is not None:
                on_round(n + 1, size, sum(calls))
    report.results = [
        BatchSizeResult(size, len(jobs), round_s[size], call_s[size], failed[size])
        for size in batch_sizes
    ]
    return report


def _one_round(
    app: App, model: Any, jobs: list[Job], size: int, clock: Clock
) -> tuple[list[float], int]:
    calls, failed = [], 0
    for start in range(0, len(jobs), size):
        batch = jobs[start : start + size]
        began = clock()
        try:
            results = app.handle(model, batch)
        except JobFailed:  # the handler failed the whole batch, as the worker allows
            results = [None] * len(batch)
            failed += len(batch)
        calls.append(clock() - began)
        failed += sum(isinstance(result, JobFailed) for result in results)
    return calls, failed
