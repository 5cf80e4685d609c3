"""The spotq side of the jobs benchmark: no-op jobs through the job API, 2 pre-started workers."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from spotq.fleet.embedded import StackOptions
from spotq.fleet.local import FleetOptions, LocalFleet
from spotq.jobs import JobState

NOOP_APP = """
import spotq

app = spotq.App("noop", batch_size=10, visibility_timeout_s=60)

@app.handler
def handle(model, jobs):
    return [{"ok": True}] * len(jobs)
"""

PRODUCER = Path(__file__).resolve().parent / "jobs_spotq_producer.py"


def _wait_ready(fleet: LocalFleet, workers: int, timeout_s: float = 60) -> None:
    scaler = fleet.autoscaler
    assert scaler is not None
    deadline = time.monotonic() + timeout_s
    while (c := scaler.pool.counts()).running < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers not ready: {c}")
        time.sleep(0.1)


def run_spotq(jobs: int, workers: int, data_root: str | None = None) -> float:
    """Jobs per second from the first submit to the last result stored; the stack's data dir
    (job store, queue store, blobs) goes under `data_root` (default: the system temp dir)."""
    with tempfile.TemporaryDirectory(prefix="spotq-bench-", dir=data_root) as tmp:
        app = Path(tmp) / "noop.py"
        app.write_text(NOOP_APP)
        options = FleetOptions(min_workers=workers, max_workers=workers, idle_s=60)
        with LocalFleet(str(app), StackOptions(data_dir=Path(tmp) / "data"), options) as fleet:
            _wait_ready(fleet, workers)
            runtime = fleet.stack.runtime
            assert runtime is not None
            producer = subprocess.Popen(
                [sys.executable, str(PRODUCER), fleet.stack.api_url, str(jobs)],
                stdin=subprocess.PIPE,
                text=True,
            )
            time.sleep(1.0)  # let it import before the clock starts
            assert producer.stdin is not None
            started = time.perf_counter()
            producer.stdin.write("go\n")
            producer.stdin.flush()
            while runtime.service.jobs.count_by_state("noop")[JobState.SUCCEEDED] < jobs:
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            if producer.wait(60) != 0:
                raise RuntimeError("the producer failed")
    return jobs / elapsed


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    root = sys.argv[2] if len(sys.argv) > 2 else None
    print(f"spotq: {run_spotq(n, 2, root):.0f} jobs/s")
