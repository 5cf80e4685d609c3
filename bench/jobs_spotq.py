"""The spotq side of the jobs benchmark: no-op jobs through the job API, pre-started workers.

A `SpotqSetup` says how the app is configured (batch_size, prefetch) and how the producer submits
(one job per `POST /v1/jobs`, or N per `POST /v1/jobs:batch`)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine_cpu import Timed, timed
from spotq.app import AppOptions
from spotq.fleet.embedded import StackOptions
from spotq.fleet.local import FleetOptions, LocalFleet
from spotq.jobs import JobState

NOOP_APP = """
import spotq

app = spotq.App("noop", visibility_timeout_s=60{options})

@app.handler
def handle(model, jobs):
    return [{{"ok": True}}] * len(jobs)
"""

PRODUCER = Path(__file__).resolve().parent / "jobs_spotq_producer.py"


@dataclasses.dataclass(frozen=True)
class SpotqSetup:
    """One spotq configuration of the benchmark."""

    batch_size: int = 10
    prefetch: int | None = None  # None: the App's own default (or no such option on this tree)
    submit_batch: int = 500  # jobs per submit request; 1 = `POST /v1/jobs` per job

    def app_source(self) -> str:
        options = f", batch_size={self.batch_size}"
        if self.prefetch is not None:
            options += f", prefetch={self.prefetch}"
        return NOOP_APP.format(options=options)


def has_prefetch() -> bool:
    """Whether this tree's App takes a `prefetch` option (the worker's messages per receive)."""
    return "prefetch" in {field.name for field in dataclasses.fields(AppOptions)}


def _wait_ready(fleet: LocalFleet, workers: int, timeout_s: float = 60) -> None:
    scaler = fleet.autoscaler
    assert scaler is not None
    deadline = time.monotonic() + timeout_s
    while (c := scaler.pool.counts()).running < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers not ready: {c}")
        time.sleep(0.1)


def run_spotq(
    jobs: int, workers: int, data_root: str | None = None, setup: SpotqSetup | None = None
) -> Timed:
    """Jobs per second from the first submit to the last result stored, and the machine's busy
    CPU per job meanwhile; the stack's data dir (job store, queue store, blobs) goes under
    `data_root` (default: the system temp dir)."""
    setup = setup or SpotqSetup()
    if setup.prefetch is not None and not has_prefetch():
        raise RuntimeError("this tree's App has no prefetch option")
    with tempfile.TemporaryDirectory(prefix="spotq-bench-", dir=data_root) as tmp:
        app = Path(tmp) / "noop.py"
        app.write_text(setup.app_source())
        options = FleetOptions(min_workers=workers, max_workers=workers, idle_s=60)
        with LocalFleet(str(app), StackOptions(data_dir=Path(tmp) / "data"), options) as fleet:
            _wait_ready(fleet, workers)
            runtime = fleet.stack.runtime
            assert runtime is not None
            command = [sys.executable, str(PRODUCER), fleet.stack.api_url, str(jobs),
                       str(setup.submit_batch)]  # fmt: skip
            producer = subprocess.Popen(command, stdin=subprocess.PIPE, text=True)
            time.sleep(1.0)  # let it import before the clock starts
            assert producer.stdin is not None
            stdin = producer.stdin

            def work() -> None:
                stdin.write("go\n")
                stdin.flush()
                while runtime.service.jobs.count_by_state("noop")[JobState.SUCCEEDED] < jobs:
                    if producer.poll() not in (None, 0):
                        raise RuntimeError("the producer failed")
                    time.sleep(0.02)  # as often as the peers are polled (jobs_peers._wait)

            run = timed(jobs, work)
            if producer.wait(60) != 0:
                raise RuntimeError("the producer failed")
    return run


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    root = sys.argv[2] if len(sys.argv) > 2 else None
    run = run_spotq(n, 2, root)
    print(f"spotq: {run.jobs_per_s:.0f} jobs/s, {run.cpu_ms_per_job:.3f} ms of CPU per job")
