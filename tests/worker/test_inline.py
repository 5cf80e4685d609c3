"""Quick handler calls run on the worker's own thread under a watchdog (spotq.worker.inline): the
pieces alone, then a worker against the real SQS server whose handler is quick and then hangs."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from spotq.jobs import JobState
from spotq.worker.handler_thread import Call
from spotq.worker.inline import QUICK_CALL_S, QUICK_STREAK, GaveUp, QuickCalls, Watchdog
from spotq.worker.memory import MemoryGuard
from spotq.worker.runtime import EXIT_HANDLER_TIMEOUT, EXIT_MEMORY, WorkerConfig

from .conftest import APPS, WorkerEnv, app_named, wait_for


def test_calls_go_inline_after_a_streak_of_quick_ones_and_back_after_a_slow_one() -> None:
    calls = QuickCalls()
    for _ in range(QUICK_STREAK - 1):
        calls.note(QUICK_CALL_S / 2)
    assert not calls.quick
    calls.note(QUICK_CALL_S)
    assert calls.quick
    calls.note(QUICK_CALL_S * 2)
    assert not calls.quick


def test_a_call_that_returns_in_time_is_not_given_up() -> None:
    given_up: list[str] = []
    dog = Watchdog(lambda deadline_s: "late" if time.monotonic() >= deadline_s else None,
                   given_up.append, tick_s=0.01)  # fmt: skip

    def quick() -> list[str]:
        time.sleep(0.05)
        return ["ran"]

    call = Call(quick)
    dog.run(call, time.monotonic() + 5)
    assert call.value == ["ran"] and call.error is None and call.done.is_set()
    failing = Call(lambda: [1 / 0])
    dog.run(failing, time.monotonic() + 5)  # the handler's error is the call's, not the dog's
    assert isinstance(failing.error, ZeroDivisionError)
    time.sleep(0.05)
    assert given_up == []


def test_an_overrunning_call_is_given_up_while_it_runs_and_its_return_raises() -> None:
    given_up: list[tuple[str, bool]] = []
    returned = threading.Event()
    dog = Watchdog(
        lambda deadline_s: "late" if time.monotonic() >= deadline_s else None,
        lambda reason: given_up.append((reason, returned.is_set())),
        tick_s=0.01,
    )

    def slow() -> list[None]:
        time.sleep(0.5)
        returned.set()
        return [None]

    call = Call(slow)
    with pytest.raises(GaveUp):
        dog.run(call, time.monotonic() + 0.1)
    assert given_up == [("late", False)]  # while the call was still running


def test_a_quick_handler_that_hangs_is_timed_out_and_the_prefetched_jobs_given_back(
    env: WorkerEnv,
) -> None:
    app = app_named("quick_then_stuck")  # batch_size 1, prefetch 10, job_timeout_s 0.5
    quick = [f"q{n}" for n in range(QUICK_STREAK + 2)]
    after = ["a0", "a1"]
    for job_id in quick:
        env.send(app, job_id, {"echo": job_id})
    env.send(app, "stuck", {"sleep_s": 3})
    for job_id in after:
        env.send(app, job_id, {"echo": job_id})
    started = time.monotonic()
    running = env.start(app, config=WorkerConfig(grace_s=5, poll_wait_s=1))
    # The watchdog ends the worker while the handler still sleeps (on the handler thread this
    # test passes too, but then hard_exit is never called).
    wait_for(lambda: running.hard_exits, what="the watchdog's exit")
    assert running.hard_exits == [EXIT_HANDLER_TIMEOUT]
    assert time.monotonic() - started < 3
    stuck = env.jobs.get("stuck")
    assert stuck is not None and stuck.state is JobState.QUEUED
    assert stuck.last_error == "timed out: handler ran over 0.5 s"
    for job_id in quick:
        record = env.jobs.get(job_id)
        assert record is not None and record.state is JobState.SUCCEEDED, job_id
    assert [env.jobs.get(job_id) for job_id in after] == [None, None]  # never started
    # Given back at once (visible), not left to a 30 s visibility timeout; the stuck job's
    # message is hidden for its retry backoff.
    wait_for(lambda: env.depth(app) == (len(after), 1), what="prefetched messages visible")
    running.thread.join(10)
    assert running.exit_code == [EXIT_HANDLER_TIMEOUT]


def test_a_drain_whose_grace_runs_out_during_a_stuck_inline_call_releases_its_job(
    env: WorkerEnv,
) -> None:
    app = app_named("quick_then_drained")  # batch_size 1, prefetch 10
    quick = [f"q{n}" for n in range(QUICK_STREAK + 1)]
    for job_id in quick:
        env.send(app, job_id, {"echo": job_id})
    env.send(app, "stuck", {"sleep_s": 3})
    env.send(app, "after", {"echo": 1})
    running = env.start(app, config=WorkerConfig(grace_s=0.1, poll_wait_s=1))
    wait_for(lambda: len(running.recorder.named("done")) == len(quick), what="quick jobs done")
    running.worker.request_drain("test")
    wait_for(lambda: running.hard_exits, what="the watchdog's exit")
    assert running.hard_exits == [0]
    stuck = env.jobs.get("stuck")
    assert stuck is not None and stuck.state is JobState.QUEUED
    assert stuck.last_error == "interrupted: the worker stopped before the job finished"
    wait_for(lambda: env.depth(app) == (2, 0), what="both messages visible again")
    running.thread.join(10)
    assert running.exit_code == [0]


def test_a_quick_handler_over_the_memory_limit_is_stopped_while_it_runs(env: WorkerEnv) -> None:
    app = app_named("quick_then_drained")  # job_timeout_s 600: only the memory limit stops it
    rss = [100]
    guard = MemoryGuard(0.8, 1 << 30, rss_fn=lambda: rss[0])
    quick = [f"q{n}" for n in range(QUICK_STREAK + 1)]
    for job_id in quick:
        env.send(app, job_id, {"echo": job_id})
    env.send(app, "hungry", {"sleep_s": 3})
    running = env.start(app, memory_guard=guard)
    wait_for(lambda: len(running.recorder.named("done")) == len(quick), what="quick jobs done")
    rss[0] = 2 << 30  # over the limit while "hungry" runs inline
    wait_for(lambda: running.hard_exits, what="the watchdog's exit")
    assert running.hard_exits == [EXIT_MEMORY]
    hungry = env.jobs.get("hungry")
    assert hungry is not None and hungry.state is JobState.QUEUED
    assert hungry.last_error is not None
    assert hungry.last_error.startswith("memory limit exceeded: the worker's RSS reached 2048 MiB")
    running.thread.join(10)
    assert running.exit_code == [EXIT_MEMORY]


def test_a_worker_process_ends_itself_when_its_inline_call_overruns(env: WorkerEnv) -> None:
    app = app_named("quick_then_stuck")  # job_timeout_s 0.5
    for n in range(QUICK_STREAK + 1):
        env.send(app, f"q{n}", {"echo": n})
    env.send(app, "stuck", {"sleep_s": 60})
    env.send(app, "after", {"echo": 1})
    proc = env.spawn(app, f"{APPS}:quick_then_stuck")
    assert proc.wait(30) == EXIT_HANDLER_TIMEOUT  # not 60 s later: the process exits itself
    stuck = env.jobs.get("stuck")
    assert stuck is not None and stuck.last_error == "timed out: handler ran over 0.5 s"
    assert env.jobs.get("after") is None
    assert env.depth(app) == (1, 1)  # "after" given back; "stuck" hidden for its backoff
    events = env.log_events()
    assert events[-1]["event"] == "stopped" and events[-1]["exit_code"] == EXIT_HANDLER_TIMEOUT
    assert len([e for e in events if e["event"] == "job_done"]) == QUICK_STREAK + 1


def test_sigterm_during_a_stuck_inline_call_releases_it_after_the_grace(env: WorkerEnv) -> None:
    app = app_named("quick_then_drained")
    for n in range(QUICK_STREAK + 1):
        env.send(app, f"q{n}", {"echo": n})
    env.send(app, "stuck", {"sleep_s": 60})
    proc = env.spawn(app, f"{APPS}:quick_then_drained", "--grace-s", "1")
    wait_for(lambda: (r := env.jobs.get("stuck")) is not None and r.state is JobState.RUNNING,
             what="the stuck job running")  # fmt: skip
    signalled = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    assert time.monotonic() - signalled < 10
    stuck = env.jobs.get("stuck")
    assert stuck is not None and stuck.state is JobState.QUEUED
    assert stuck.last_error == "interrupted: the worker stopped before the job finished"
    assert env.depth(app) == (1, 0)  # visible at once, not after the 30 s visibility timeout


def test_a_check_that_fails_does_not_stop_the_watching() -> None:
    checks: list[float] = []
    given_up: list[str] = []

    def check(deadline_s: float) -> str | None:
        checks.append(deadline_s)
        if len(checks) < 3:
            raise OSError("cannot read /proc/self/statm")
        return "late" if time.monotonic() >= deadline_s else None

    def slow() -> list[None]:
        time.sleep(0.5)
        return [None]

    dog = Watchdog(check, given_up.append, tick_s=0.01)
    with pytest.raises(GaveUp):
        dog.run(Call(slow), time.monotonic() + 0.1)
    assert given_up == ["late"] and len(checks) >= 3
