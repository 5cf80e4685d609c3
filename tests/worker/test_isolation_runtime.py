"""Poison isolation and the handler contract, through the real worker loop and SQS server."""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

import spotq
from spotq.jobs import JobState
from spotq.worker.memory import MemoryGuard
from spotq.worker.runtime import EXIT_HANDLER_TIMEOUT, EXIT_MEMORY, WorkerConfig

from .conftest import WorkerEnv, wait_for

CONFIG = WorkerConfig(grace_s=5, poll_wait_s=1)


def _state(env: WorkerEnv, job_id: str) -> JobState | None:
    record = env.jobs.get(job_id)
    return None if record is None else record.state


def _record(env: WorkerEnv, job_id: str) -> Any:
    record = env.jobs.get(job_id)
    assert record is not None
    return record


def test_a_handler_returning_the_wrong_count_or_a_dict_fails_every_job_of_the_batch(
    env: WorkerEnv,
) -> None:
    def handle(model: Any, jobs: list[spotq.Job]) -> Any:
        if jobs[0].input.get("shape") == "dict":
            return {job.id: {"ok": True} for job in jobs}
        return [{"ok": True}] * (len(jobs) + 1)

    app = spotq.App("contract", handler=handle, batch_size=4, max_receives=1)
    for n in range(4):
        env.send(app, f"count-{n}", {"shape": "count"})
    running = env.start(app, config=CONFIG)
    wait_for(lambda: all(_state(env, f"count-{n}") is JobState.DEAD for n in range(4)))
    errors = {_record(env, f"count-{n}").last_error for n in range(4)}
    # one message or several per receive: never a success, always the count in the error
    assert all(re.fullmatch(r"handler returned (\d) results for \d jobs", e) for e in errors)
    for n in range(2):
        env.send(app, f"dict-{n}", {"shape": "dict"})
    wait_for(lambda: all(_state(env, f"dict-{n}") is JobState.DEAD for n in range(2)))
    assert "handler returned dict, expected a list of" in _record(env, "dict-0").last_error
    running.stop()
    assert not running.recorder.named("done")  # nothing was reported as a success


def test_a_batch_that_timed_out_is_retried_one_job_at_a_time(env: WorkerEnv) -> None:
    release = threading.Event()
    runs: Counter[str] = Counter()

    def handle(model: Any, jobs: list[spotq.Job]) -> list[Any]:
        runs.update(job.id for job in jobs)
        if any(job.input.get("hang") for job in jobs):
            release.wait(30)  # hangs past job_timeout_s
        return [{"n": job.input["n"]} for job in jobs]

    app = spotq.App(
        "hangs", handler=handle, batch_size=4, job_timeout_s=0.5, max_receives=3,
        retry_backoff_s=0, visibility_timeout_s=30,
    )  # fmt: skip
    env.send(app, "poison", {"n": 0, "hang": True})
    for n in range(1, 4):
        env.send(app, f"mate-{n}", {"n": n})
    first = env.start(app, config=CONFIG)
    first.thread.join(20)
    assert first.exit_code == [EXIT_HANDLER_TIMEOUT]
    # Every worker the fleet would start next runs the jobs that ran before alone: each mate
    # succeeds the first time it runs again (attempt 2, whatever the receive count); only the
    # poison job uses up its attempts.
    for _ in range(3):
        if _record(env, "poison").state is JobState.DEAD:
            break
        worker = env.start(app, config=CONFIG)
        worker.thread.join(30)
    release.set()
    for n in range(1, 4):
        record = _record(env, f"mate-{n}")
        assert record.state is JobState.SUCCEEDED and record.attempts == 2, record
        assert runs[f"mate-{n}"] == 2  # once in the batch, once alone
    assert _record(env, "poison").state is JobState.DEAD


def test_a_handler_over_the_memory_limit_fails_its_jobs_and_ends_the_worker(
    env: WorkerEnv,
) -> None:
    hogging = threading.Event()

    def handle(model: Any, jobs: list[spotq.Job]) -> list[Any]:
        if any(job.input.get("hog") for job in jobs):
            hogging.set()
            threading.Event().wait(30)
        return [{"ok": True} for _ in jobs]

    app = spotq.App("hog", handler=handle, batch_size=2, max_receives=3, retry_backoff_s=0)
    guard = MemoryGuard(0.8, 1000, rss_fn=lambda: 5000 if hogging.is_set() else 100)
    env.send(app, "hog", {"hog": True})
    env.send(app, "mate", {"n": 1})
    running = env.start(app, config=CONFIG, memory_guard=guard)
    running.thread.join(20)
    assert running.exit_code == [EXIT_MEMORY]
    for job_id in ("hog", "mate"):
        record = _record(env, job_id)
        assert record.state is JobState.QUEUED
        assert record.last_error.startswith("memory limit exceeded: the worker's RSS reached")
