"""Structured logs: one JSON object per line on stderr, written by a hook."""

from __future__ import annotations

import json
import sys
import threading
from typing import Any, TextIO

from spotq.clock import Clock, SystemClock
from spotq.worker.hooks import Hooks, JobTimings

FLUSH_EVERY_S = 0.2  # routine lines (one or two per job) are written at most this late
_ROUTINE = frozenset({"received_batch", "job_done"})


class JsonLogHooks(Hooks):
    """Writes each lifecycle event as a JSON line: ready, received_batch, job_done, job_failed,
    bad_message, memory_paused/memory_resumed, busy, idle, error, draining, stopped.

    Routine lines (received_batch, job_done) are written in bursts, at most FLUSH_EVERY_S
    late: a write per line cost a busy worker about a tenth of a no-op job. Any other event
    writes them all at once with itself, so an error, a failed job, idle, a drain or the stop
    is never behind a buffer; a worker killed outright loses at most FLUSH_EVERY_S of job_done
    lines (the job store has every result)."""

    def __init__(self, stream: TextIO | None = None, clock: Clock | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock or SystemClock()
        self.dropped = 0  # lines that could not be written
        self._lock = threading.Lock()
        self._base: dict[str, Any] = {}
        self._pending: list[str] = []
        self._written_s = float("-inf")

    def emit(self, event: str, **fields: Any) -> None:
        line = {"ts": round(self._clock.now(), 6), "event": event, **self._base, **fields}
        text = json.dumps(line, default=str, separators=(",", ":")) + "\n"
        with self._lock:
            self._pending.append(text)
            now_s = self._clock.monotonic()
            if event in _ROUTINE and now_s - self._written_s < FLUSH_EVERY_S:
                return
            self._written_s = now_s
            lines, self._pending = self._pending, []
            try:
                self._stream.write("".join(lines))
                self._stream.flush()
            except (OSError, ValueError):  # a full disk or a closed log must not stop the work
                self.dropped += len(lines)

    def on_start(self, app: str, pid: int) -> None:
        self._base = {"app": app, "pid": pid}
        self.emit("starting")

    def on_ready(self) -> None:
        self.emit("ready")

    def on_batch_received(self, n: int, queue: str) -> None:
        self.emit("received_batch", n=n, queue=queue)

    def on_busy(self) -> None:
        self.emit("busy")

    def on_idle(self) -> None:
        self.emit("idle")

    def on_job_done(self, job_id: str, attempt: int, timings: JobTimings) -> None:
        self.emit(
            "job_done",
            job_id=job_id,
            attempt=attempt,
            queue_wait_s=round(timings.queue_wait_s, 6),
            fetch_s=round(timings.fetch_s, 6),
            handle_s=round(timings.handle_s, 6),
            store_s=round(timings.store_s, 6),
            batch_size=timings.batch_size,
        )

    def on_job_failed(self, job_id: str, attempt: int, error: str, outcome: str) -> None:
        self.emit("job_failed", job_id=job_id, attempt=attempt, outcome=outcome, error=error)

    def on_bad_message(self, message_id: str, error: str) -> None:
        self.emit("bad_message", message_id=message_id, error=error)

    def on_memory(self, paused: bool, rss_bytes: int, limit_bytes: int) -> None:
        event = "memory_paused" if paused else "memory_resumed"
        self.emit(event, rss_bytes=rss_bytes, limit_bytes=limit_bytes)

    def on_error(self, where: str, error: str) -> None:
        self.emit("error", where=where, error=error)

    def on_model_loaded(self, version: str, reloaded: bool) -> None:
        self.emit("model_reloaded" if reloaded else "model_loaded", version=version)

    def on_draining(self, reason: str) -> None:
        self.emit("draining", reason=reason)

    def on_stop(self, reason: str, exit_code: int) -> None:
        self.emit("stopped", reason=reason, exit_code=exit_code)
