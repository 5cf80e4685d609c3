"""Prefetch (spotq.worker.prefetch): a worker with batch_size 1 receives up to 10 messages at
once and runs them one handler call each. What it holds must not be stranded: a drain gives it
back at once, a high-priority job does not wait behind it, and a SIGKILL loses nothing and runs
nothing twice that had finished."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from spotq.app import App, Job
from spotq.jobs import JobState
from spotq.worker.delivery import Delivery
from spotq.worker.prefetch import HOLD_S, PrefetchBuffer
from spotq.worker.runtime import WorkerConfig

from .conftest import APPS, WorkerEnv, app_named, wait_for

PREFETCHED = f"{APPS}:prefetched"


def _states(env: WorkerEnv, ids: list[str]) -> Counter[JobState | None]:
    return Counter(
        (record.state if (record := env.jobs.get(job_id)) is not None else None) for job_id in ids
    )


def test_receive_size_follows_the_handler_call_time() -> None:
    auto = PrefetchBuffer(batch_size=2)
    assert auto.receive_size == 2  # nothing measured yet: one batch
    auto.note_call(0.001)
    assert auto.receive_size == 10  # quick calls: a full receive
    for _ in range(30):
        auto.note_call(HOLD_S / 2)
    assert auto.receive_size == 4  # two calls' worth of messages fit in HOLD_S
    auto.note_call(50.0)
    assert auto.receive_size == 2  # slow calls: never less than one batch
    assert PrefetchBuffer(batch_size=1, fixed=7).receive_size == 7


def test_read_ahead_only_for_quick_calls() -> None:
    buffer = PrefetchBuffer(batch_size=1, fixed=10)
    assert buffer.read_ahead_size() == 0  # no call measured yet
    buffer.note_call(0.01)
    assert buffer.read_ahead_size() == 10  # 11 calls of 10 ms fit in HOLD_S
    slow = PrefetchBuffer(batch_size=1, fixed=10)
    slow.note_call(HOLD_S / 5)
    assert slow.read_ahead_size() == 0  # 11 such calls would hold messages past HOLD_S


def test_buffer_hands_out_batches_in_order() -> None:
    deliveries = [Delivery("q", f"m{i}", f"r{i}", "{}", 1, 0.0, 0.0) for i in range(7)]
    buffer = PrefetchBuffer(batch_size=3)
    assert [d.message_id for d in buffer.split(deliveries)] == ["m0", "m1", "m2"]
    assert [d.message_id for d in buffer.take()] == ["m3", "m4", "m5"]
    assert len(buffer) == 1 and [d.message_id for d in buffer.take_all()] == ["m6"]
    assert buffer.take() == []


def test_sigterm_gives_prefetched_messages_back_at_once(env: WorkerEnv) -> None:
    app = app_named("prefetched")
    ids = [f"job-{i}" for i in range(6)]
    for job_id in ids:
        env.send(app, job_id, {"sleep_s": 6})
    proc = env.spawn(app, PREFETCHED, "--grace-s", "30")
    wait_for(lambda: _states(env, ids)[JobState.RUNNING] == 1, 30, "the first job running")
    assert env.depth(app) == (0, 6)  # one running, five held by the worker
    proc.send_signal(signal.SIGTERM)
    wait_for(lambda: env.depth(app)[0] == 5, 30, "the five prefetched messages visible again")
    # Given back while the running job still runs, not after it nor after a visibility timeout.
    assert _states(env, ids)[JobState.RUNNING] == 1
    assert proc.wait(30) == 0
    states = _states(env, ids)
    assert states[JobState.SUCCEEDED] == 1 and states[None] == 5  # the rest never started
    assert env.depth(app) == (5, 0)


def test_a_drain_gives_back_what_the_read_ahead_received(
    env: WorkerEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last held job blocks in its handler while the read-ahead has received the next two:
    a drain makes those two visible again at once, before the blocked call ends."""
    # The worker reads ahead only when its measured calls are quick enough for HOLD_S; on a
    # loaded machine even a no-op call may not be (the test then waited for a read-ahead that
    # the worker rightly skipped). Here every call counts as quick.
    monkeypatch.setattr("spotq.worker.prefetch.HOLD_S", 600.0)
    release = threading.Event()
    calls: list[str] = []

    def handle(model: object, jobs: list[Job]) -> list[dict[str, str]]:
        calls.append(jobs[0].id)
        if len(calls) == 2:  # the second call: the last of the first receive's two messages
            release.wait(30)
        return [{"id": jobs[0].id}]

    app = App("readahead", handler=handle, batch_size=1, prefetch=2, visibility_timeout_s=30)
    ids = [f"job-{i}" for i in range(6)]
    for job_id in ids:
        env.send(app, job_id, {})
    running = env.start(app, WorkerConfig(grace_s=30, poll_wait_s=1))
    try:
        # In flight: the first job (done, its delete waits to be batched), the second (running),
        # two read ahead; two still queued. (A standard queue need not keep send order.)
        wait_for(lambda: env.depth(app) == (2, 4), 30, "a read-ahead while the second job runs")
        running.worker.request_drain("test")
        wait_for(lambda: env.depth(app) == (4, 2), 10, "the read-ahead given back")
        assert _states(env, ids)[JobState.RUNNING] == 1  # the second still in its handler
    finally:
        release.set()
    assert running.stop() == 0
    states = _states(env, ids)
    assert (states[JobState.SUCCEEDED], states[None]) == (2, 4)
    assert env.depth(app) == (4, 0)


def test_a_high_priority_job_does_not_wait_behind_prefetched_ones(env: WorkerEnv) -> None:
    app = app_named("prefetched")
    ids = [f"normal-{i}" for i in range(6)]
    for job_id in ids:
        env.send(app, job_id, {"sleep_s": 0.5})
    running = env.start(app, WorkerConfig(grace_s=5, poll_wait_s=1))
    wait_for(lambda: _states(env, ids)[JobState.RUNNING] == 1, 30, "the first job running")
    env.send(app, "urgent", {"sleep_s": 0.5}, high=True)
    started_before = 6 - _states(env, ids)[None]  # the send takes a while on a busy machine
    wait_for(lambda: _states(env, [*ids, "urgent"])[JobState.SUCCEEDED] == 7, 30, "all done")
    running.stop()
    urgent = env.jobs.get("urgent")
    assert urgent is not None and urgent.started_at_s is not None
    normals = [env.jobs.get(job_id) for job_id in ids]
    ahead = [r for r in normals if r is not None and (r.started_at_s or 0) < urgent.started_at_s]
    # Only the calls started by the time it was sent (and at most one starting then) went first.
    assert len(ahead) <= started_before + 1
    assert len(ahead) < 6


def test_each_success_is_recorded_before_the_next_prefetched_job_runs(env: WorkerEnv) -> None:
    """Successes wait for the next job's running mark (one transaction for both), never longer:
    whenever a prefetched job's handler runs, every job whose handler returned before is
    already succeeded in the job store."""
    returned: list[str] = []
    unrecorded: dict[str, list[str]] = {}

    def handle(model: object, jobs: list[Job]) -> list[dict[str, str]]:
        unrecorded[jobs[0].id] = [
            job_id
            for job_id in returned
            if (r := env.jobs.get(job_id)) is None or r.state is not JobState.SUCCEEDED
        ]
        returned.append(jobs[0].id)
        return [{"id": jobs[0].id}]

    app = App("recorded", handler=handle, batch_size=1, prefetch=10, visibility_timeout_s=30)
    ids = [f"job-{i}" for i in range(8)]
    for job_id in ids:
        env.send(app, job_id, {})
    running = env.start(app, WorkerConfig(grace_s=5, poll_wait_s=1))
    wait_for(lambda: _states(env, ids)[JobState.SUCCEEDED] == 8, 30, "every job done")
    running.stop()
    assert sorted(unrecorded) == ids and all(not late for late in unrecorded.values()), unrecorded
    assert all(env.result(job_id) == {"id": job_id} for job_id in ids)


def test_sigkill_with_prefetch_loses_nothing_and_repeats_no_finished_job(
    env: WorkerEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs_file = tmp_path / "runs.txt"
    monkeypatch.setenv("SPOTQ_TEST_RUNS_FILE", str(runs_file))
    app = app_named("prefetched")
    ids = [f"job-{i}" for i in range(12)]
    for job_id in ids:
        env.send(app, job_id, {"sleep_s": 0.3, "echo": job_id})
    first = env.spawn(app, PREFETCHED)
    wait_for(lambda: _states(env, ids)[JobState.SUCCEEDED] >= 3, 30, "three jobs done")
    first.kill()
    first.wait()
    finished_before = {j for j in ids if (r := env.jobs.get(j)) and r.state is JobState.SUCCEEDED}
    killed_mid_run = {j for j in ids if (r := env.jobs.get(j)) and r.state is JobState.RUNNING}
    time.sleep(0.2)
    env.spawn(app, PREFETCHED)
    wait_for(lambda: _states(env, ids)[JobState.SUCCEEDED] == 12, 60, "every job done")
    runs = Counter(runs_file.read_text().split())
    assert set(runs) == set(ids)  # nothing lost
    assert all(runs[j] == 1 for j in finished_before)  # a finished job never runs again
    assert {j for j, n in runs.items() if n > 1} <= killed_mid_run and len(killed_mid_run) <= 1
    for job_id in ids:  # prefetched-but-unrun jobs were not charged a run
        record = env.jobs.get(job_id)
        assert record is not None
        if job_id in killed_mid_run:  # the kill may land after its running mark, before its
            # handler started: that run is charged (a crash there counts, as a poison job's would)
            assert runs[job_id] <= record.attempts <= runs[job_id] + 1
        else:
            assert record.attempts == runs[job_id]
        assert env.result(job_id)["echo"] == job_id
    wait_for(lambda: env.depth(app) == (0, 0), 20, "every message deleted")
