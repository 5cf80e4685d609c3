"""The pool against real processes that stand in for workers by writing a status file."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from spotq.clock import SystemClock
from spotq.fleet.workers import BUSY, IDLE, STARTING, WorkerPool

_FAKE = """
import json, os, signal, sys, time
path, state = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with open(path + ".tmp", "w") as f:
    json.dump({"state": state, "pid": os.getpid()}, f)
os.replace(path + ".tmp", path)
time.sleep(60)
"""


class FakeWorkerPool(WorkerPool):
    """Runs a stand-in that reports a fixed state; the pool logic under test is unchanged."""

    states: list[str]

    def command(self, status_path: Path) -> list[str]:
        return [sys.executable, "-c", _FAKE, str(status_path), self.states.pop(0)]


def _wait_for(pool: WorkerPool, starting: int) -> None:
    deadline = time.monotonic() + 20
    while pool.counts().starting != starting:
        assert time.monotonic() < deadline, pool.counts()
        time.sleep(0.05)


def test_drain_idle_never_signals_a_busy_worker(tmp_path: Path) -> None:
    pool = FakeWorkerPool("app.py", tmp_path / "stack.json", tmp_path / "run", SystemClock())
    pool.states = [BUSY, IDLE, BUSY, IDLE]
    workers = [pool.start() for _ in range(4)]
    try:
        _wait_for(pool, starting=0)
        assert pool.counts().busy == 2 and pool.counts().idle == 2
        assert pool.drain_idle(4) == 2
        busy = [w for w in workers if w.state() == BUSY]
        assert len(busy) == 2 and not any(w.terminated for w in busy)
        for w in workers:
            if w.terminated:
                w.process.wait(10)
        gone = pool.reap()
        assert len(gone) == 2 and all(w.process.returncode == 0 for w in gone)
        assert len(pool.workers) == 2
    finally:
        pool.stop_all(grace_s=5)
    assert pool.workers == [] and pool.worker_seconds() > 0


def test_a_worker_without_a_status_file_counts_as_starting(tmp_path: Path) -> None:
    pool = FakeWorkerPool("app.py", tmp_path / "stack.json", tmp_path / "run", SystemClock())
    pool.states = [IDLE]
    worker = pool.start()
    try:
        assert worker.state() in (STARTING, IDLE)
        _wait_for(pool, starting=0)
        assert worker.ready_seen
    finally:
        pool.stop_all(grace_s=5)


_SLOW_TO_EXIT = """
import json, os, signal, sys, time
path = sys.argv[1]
signal.signal(signal.SIGTERM, lambda *_: (time.sleep(1.0), sys.exit(0)))  # a long poll's tail
with open(path + ".tmp", "w") as f:
    json.dump({"state": "busy", "pid": os.getpid()}, f)
os.replace(path + ".tmp", path)
time.sleep(60)
"""


class SlowToExitPool(WorkerPool):
    def command(self, status_path: Path) -> list[str]:
        return [sys.executable, "-c", _SLOW_TO_EXIT, str(status_path)]


def _stop_slow_worker(tmp_path: Path, answers: list[bool]) -> tuple[int | None, list[bool]]:
    """Stop a worker slow to exit; `holds_nothing` gives `answers` in turn, then the last."""
    pool = SlowToExitPool("app.py", tmp_path / "stack.json", tmp_path / "run", SystemClock())
    worker = pool.start()
    _wait_for(pool, starting=0)
    asked: list[bool] = []

    def holds_nothing() -> bool:
        asked.append(answers[min(len(asked), len(answers) - 1)])
        return asked[-1]

    pool.stop_all(grace_s=10, holds_nothing=holds_nothing)
    assert pool.workers == []
    return worker.process.returncode, asked


def test_stop_all_kills_workers_that_hold_nothing_instead_of_waiting(tmp_path: Path) -> None:
    returncode, asked = _stop_slow_worker(tmp_path, [True])
    assert asked == [True] and returncode == -9


def test_stop_all_lets_workers_drain_while_a_job_may_be_held(tmp_path: Path) -> None:
    returncode, asked = _stop_slow_worker(tmp_path, [False])
    assert len(asked) > 2 and not any(asked)  # asked again and again for a short while
    assert returncode == 0  # then let it drain


def test_stop_all_kills_once_the_last_delete_has_gone(tmp_path: Path) -> None:
    """A job's delete still on its way when the stop began: the pool asks again every 20 ms
    and kills as soon as the queues are empty, not after a fixed wait."""
    returncode, asked = _stop_slow_worker(tmp_path, [False, False, True])
    assert asked == [False, False, True] and returncode == -9


def test_start_up_is_measured_from_launch_to_ready(tmp_path: Path) -> None:
    pool = FakeWorkerPool("app.py", tmp_path / "stack.json", tmp_path / "run", SystemClock())
    pool.states = [IDLE, BUSY]
    assert pool.startup_s() == 0.0  # nothing measured yet
    started = time.monotonic()
    workers = [pool.start() for _ in range(2)]
    try:
        _wait_for(pool, starting=0)
        took = time.monotonic() - started
        assert all(w.ready_s is not None for w in workers)
        assert 0 < pool.startup_s() <= took
    finally:
        pool.stop_all(grace_s=5)
    assert 0 < pool.startup_s() <= took  # finished workers still count
