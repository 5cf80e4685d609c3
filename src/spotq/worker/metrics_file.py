"""Local worker metrics: the worker's stats as a small JSON file beside its status file
(`worker-N.metrics.json`), rewritten atomically at most once a second. The job API reads these
for Prometheus `/metrics` and the dashboard, so no worker needs a port of its own."""

from __future__ import annotations

import json
from pathlib import Path

import psutil

from spotq.atomic_file import write_text_atomic
from spotq.clock import Clock, SystemClock
from spotq.worker.hooks import Hooks, JobTimings
from spotq.worker.stats import WorkerStats

WRITE_EVERY_S = 1.0
SUFFIX = ".metrics.json"


def metrics_path_for(status_path: Path) -> Path:
    """`worker-3.status.json` -> `worker-3.metrics.json`."""
    return status_path.with_name(status_path.name.removesuffix(".status.json") + SUFFIX)


class MetricsFileHooks(Hooks):
    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self.path = path
        self.clock = clock or SystemClock()
        self.stats = WorkerStats(self.clock)
        self._written_s = float("-inf")
        self._process = psutil.Process()

    def write(self, force: bool = False) -> None:
        now_s = self.clock.monotonic()
        if not force and now_s - self._written_s < WRITE_EVERY_S:
            return
        self._written_s = now_s
        self.stats.rss_bytes = self._process.memory_info().rss
        doc = {"pid": self._process.pid, "updated_at_s": self.clock.now(), **self.stats.to_dict()}
        write_text_atomic(self.path, json.dumps(doc))

    def on_ready(self) -> None:
        self.write(force=True)

    def on_batch_received(self, n: int, queue: str) -> None:
        self.stats.batch(n)

    def on_busy(self) -> None:
        self.stats.busy(True)

    def on_idle(self) -> None:
        self.stats.busy(False)
        self.write()

    def on_job_done(self, job_id: str, attempt: int, timings: JobTimings) -> None:
        self.stats.job_done(timings)
        self.write()

    def on_job_failed(self, job_id: str, attempt: int, error: str, outcome: str) -> None:
        self.stats.job_failed(outcome)
        self.write()

    def on_draining(self, reason: str) -> None:
        self.stats.draining(reason)
        self.write(force=True)

    def on_stop(self, reason: str, exit_code: int) -> None:
        self.stats.busy(False)
        self.write(force=True)
