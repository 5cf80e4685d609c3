"""spotq.bench.measure: batch sizes timed side by side on an injected clock."""

from __future__ import annotations

from typing import Any

import pytest

from spotq.app import App, Job, JobFailed
from spotq.bench.measure import parse_batch_sizes, run_bench
from spotq.errors import ConfigError


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def _batched_app(clock: FakeClock, calls: list[int]) -> App:
    """A handler that costs 1 s per call plus 0.5 s per job, and fails jobs marked bad."""

    def load() -> str:
        clock.now_s += 3.0
        return "model"

    def handle(model: Any, jobs: list[Job]) -> list[Any]:
        assert model == "model"
        calls.append(len(jobs))
        clock.now_s += 1.0 + 0.5 * len(jobs)
        return [JobFailed("bad") if job.input.get("bad") else {"ok": job.id} for job in jobs]

    return App("fake", load=load, handler=handle)


def test_per_item_seconds_fall_with_the_batch_and_sizes_alternate() -> None:
    clock, calls = FakeClock(), []
    jobs = [Job(id=str(n), input={"bad": n == 3}) for n in range(8)]
    report = run_bench(_batched_app(clock, calls), jobs, [1, 4], rounds=2, clock=clock)
    assert report.load_s == 3.0
    # warm-up (4 jobs), round 1: size 1 then 4, round 2: size 4 then 1
    assert calls == [4] + [1] * 8 + [4, 4] + [4, 4] + [1] * 8
    one, four = report.results
    assert (one.batch_size, four.batch_size) == (1, 4)
    assert one.per_item_s == pytest.approx(1.5) and four.per_item_s == pytest.approx(0.75)
    assert four.items_per_s / one.items_per_s == pytest.approx(2.0)
    assert one.p95_call_s == pytest.approx(1.5) and four.p95_call_s == pytest.approx(3.0)
    assert one.failed == four.failed == 1
    assert report.best() is four


def test_a_last_partial_batch_counts_and_a_raised_failure_fails_the_batch() -> None:
    clock = FakeClock()

    def handle(model: Any, jobs: list[Job]) -> list[Any]:
        clock.now_s += 1.0
        if any(job.input.get("raise") for job in jobs):
            raise JobFailed("whole batch")
        return [{} for _ in jobs]

    app = App("fake", handler=handle)
    jobs = [Job(id=str(n), input={"raise": n == 4}) for n in range(5)]
    (result,) = run_bench(app, jobs, [2], rounds=1, clock=clock).results
    assert result.call_s == [1.0, 1.0, 1.0]  # 2 + 2 + 1 jobs
    assert result.failed == 1


def test_batch_sizes_are_checked() -> None:
    assert parse_batch_sizes("8,1,4,4") == [1, 4, 8]
    for bad in ("", "0,2", "11", "a,b"):
        with pytest.raises(ConfigError, match="--batch-sizes"):
            parse_batch_sizes(bad)
    with pytest.raises(ConfigError, match="at least one"):
        run_bench(App("fake", handler=lambda m, j: []), [], [1], rounds=1)
