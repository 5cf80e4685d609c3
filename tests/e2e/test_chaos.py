"""Chaos: SIGKILL a random busy worker every ~0.5 s while 300 short jobs run. None is lost."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

from spotq.api.client import JobsClient
from spotq.fleet.local import LocalFleet
from spotq.fleet.workers import BUSY
from spotq.jobs import TERMINAL_STATES, JobState

from .conftest import ECHO_APP, records, write_app

JOBS = 300


def _kill_random_busy(fleet: LocalFleet, rng: random.Random) -> bool:
    assert fleet.autoscaler is not None
    busy = [w for w in list(fleet.autoscaler.pool.workers) if w.state() == BUSY]
    if not busy:
        return False
    victim = rng.choice(busy)
    try:
        os.kill(victim.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def test_killed_workers_lose_no_job(tmp_path: Path, start_fleet: Callable[..., LocalFleet]) -> None:
    # Short visibility so a killed worker's job comes back quickly; enough receives that a job
    # killed several times is retried rather than dead-lettered.
    app = write_app(tmp_path, ECHO_APP, visibility_s=2, max_receives=50, sleep_s=0.03)
    fleet = start_fleet(app, max_workers=3)
    client = JobsClient(fleet.stack.api_url)
    items = client.submit_batch([{"input": {"i": i}} for i in range(JOBS)])
    job_ids = [item["job"]["id"] for item in items]
    rng = random.Random(7)
    kills = 0
    deadline = time.monotonic() + 180
    while True:
        states = [r.state for r in records(fleet, job_ids)]
        if all(s in TERMINAL_STATES for s in states):
            break
        assert time.monotonic() < deadline, f"unfinished: {len(states)} jobs, {kills} kills"
        kills += _kill_random_busy(fleet, rng)
        time.sleep(0.5)
    print(f"chaos: {JOBS} jobs, {kills} busy workers SIGKILLed")
    assert kills >= 3, "the test must actually kill busy workers"
    final = records(fleet, job_ids)
    assert [r.state for r in final] == [JobState.SUCCEEDED] * JOBS
    runtime = fleet.stack.runtime
    assert runtime is not None
    # One result per job, in its record (small results are kept inline): no result files.
    results_dir = fleet.stack.data_dir / "blobs" / "results"
    assert not results_dir.exists() or not any(results_dir.iterdir())
    for i, job_id in enumerate(job_ids):
        result = json.loads(runtime.service.result(job_id))
        assert result["input"] == {"i": i}
