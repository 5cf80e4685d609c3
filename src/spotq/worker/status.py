"""The status file: a tiny JSON document the local fleet watches, rewritten atomically (temp file +
rename) on every change of state: {"state": "starting|idle|busy|draining|stopped", "pid": N,
"updated_at_s": T, "jobs_done": N, "jobs_failed": N}. `idle` first appears once the worker is
ready."""

from __future__ import annotations

import json
import os
from pathlib import Path

from spotq.atomic_file import write_text_atomic
from spotq.clock import Clock, SystemClock
from spotq.worker.hooks import Hooks, JobTimings


class StatusFileHooks(Hooks):
    """Keeps the status file up to date."""

    def __init__(self, path: str | Path, clock: Clock | None = None) -> None:
        self._path = Path(path)
        self._clock = clock or SystemClock()
        self._pid = os.getpid()
        self._state = "starting"
        self._done = 0
        self._failed = 0

    def _write(self, state: str | None = None) -> None:
        if state is not None:
            self._state = state
        doc = {
            "state": self._state,
            "pid": self._pid,
            "updated_at_s": self._clock.now(),
            "jobs_done": self._done,
            "jobs_failed": self._failed,
        }
        write_text_atomic(self._path, json.dumps(doc))

    def on_start(self, app: str, pid: int) -> None:
        self._pid = pid
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._write("starting")

    def on_ready(self) -> None:
        self._write("idle")

    def on_busy(self) -> None:
        self._write("busy")

    def on_idle(self) -> None:
        self._write("idle")

    def on_job_done(self, job_id: str, attempt: int, timings: JobTimings) -> None:
        self._done += 1

    def on_job_failed(self, job_id: str, attempt: int, error: str, outcome: str) -> None:
        self._failed += 1

    def on_draining(self, reason: str) -> None:
        self._write("draining")

    def on_stop(self, reason: str, exit_code: int) -> None:
        self._write("stopped")
