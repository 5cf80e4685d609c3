"""A worker SIGKILLed on a job's last allowed receive never records the death; the fleet's DLQ
reconciler does, once the queue has dead-lettered the message."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

from spotq.api.client import JobsClient
from spotq.fleet.local import LocalFleet
from spotq.fleet.workers import BUSY
from spotq.jobs import JobState

from .conftest import ECHO_APP, records, wait_until, write_app


def test_job_killed_on_its_last_receive_is_marked_dead(
    tmp_path: Path, start_fleet: Callable[..., LocalFleet]
) -> None:
    app = write_app(tmp_path, ECHO_APP, visibility_s=1, max_receives=1, sleep_s=30)
    fleet = start_fleet(app, max_workers=1)
    assert fleet.autoscaler is not None
    pool = fleet.autoscaler.pool
    job_id = JobsClient(fleet.stack.api_url).submit({})["id"]

    def busy_worker_pid() -> int | None:
        return next((w.process.pid for w in list(pool.workers) if w.state() == BUSY), None)

    wait_until(lambda: busy_worker_pid() is not None, 30, "a worker to take the job")
    pid = busy_worker_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: records(fleet, [job_id])[0].state is JobState.DEAD, 40, "the job to die")
    record = records(fleet, [job_id])[0]
    assert record.last_error is not None and "killed" in record.last_error
