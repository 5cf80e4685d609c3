"""Worker metrics on AWS as CloudWatch Embedded Metric Format (EMF) lines on stdout.

The ECS log driver ships stdout to CloudWatch Logs, which turns each EMF document into metrics:
no CloudWatch API call is made from the worker, let alone from its hot path. Values are
buffered and written as one document per `flush_every_s` (or sooner when a metric holds
MAX_VALUES values, the most one EMF member may carry), on a drain and at stop.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any, TextIO

import psutil

from spotq.clock import Clock, SystemClock
from spotq.worker.hooks import Hooks, JobTimings
from spotq.worker.stats import WorkerStats

NAMESPACE = "spotq"
MAX_VALUES = 100
# per-job (and per-batch) values: name -> unit
DISTRIBUTIONS = {
    "QueueWaitSeconds": "Seconds",
    "FetchSeconds": "Seconds",
    "HandleSeconds": "Seconds",
    "StoreSeconds": "Seconds",
    "BatchSize": "Count",
}
# one value per document: name -> unit
TOTALS = {
    "JobsSucceeded": "Count",
    "JobsFailed": "Count",
    "JobsRetried": "Count",
    "SpotInterruptions": "Count",
    "BusyFraction": "None",
    "MemoryRssBytes": "Bytes",
}


class EmfHooks(Hooks):
    def __init__(
        self,
        app: str,
        stream: TextIO | None = None,
        clock: Clock | None = None,
        flush_every_s: float = 60.0,
    ) -> None:
        self.app = app
        self.stream = stream if stream is not None else sys.stdout
        self.clock = clock or SystemClock()
        self.flush_every_s = flush_every_s
        self.stats = WorkerStats(self.clock)
        self._lock = threading.Lock()
        self._values: dict[str, list[float]] = {name: [] for name in DISTRIBUTIONS}
        self._counts = dict.fromkeys(("JobsSucceeded", "JobsFailed", "JobsRetried"), 0)
        self._interruptions_seen = 0
        self._flushed_s = self.clock.monotonic()
        self._busy_at_flush_s = 0.0

    def document(self) -> dict[str, Any]:
        """The EMF document for everything since the last one; resets the buffers."""
        now_s = self.clock.monotonic()
        interval_s = max(now_s - self._flushed_s, 1e-9)
        busy_s = self.stats.busy_total_s()
        totals: dict[str, float] = {
            **self._counts,
            "SpotInterruptions": self.stats.spot_interruptions - self._interruptions_seen,
            "BusyFraction": round(min(1.0, (busy_s - self._busy_at_flush_s) / interval_s), 4),
            "MemoryRssBytes": psutil.Process().memory_info().rss,
        }
        values = {name: v for name, v in self._values.items() if v}
        metrics = [{"Name": n, "Unit": DISTRIBUTIONS[n]} for n in values]
        metrics += [{"Name": n, "Unit": unit} for n, unit in TOTALS.items()]
        doc: dict[str, Any] = {
            "_aws": {
                "Timestamp": int(self.clock.now() * 1000),
                "CloudWatchMetrics": [
                    {"Namespace": NAMESPACE, "Dimensions": [["App"]], "Metrics": metrics}
                ],
            },
            "App": self.app,
            **values,
            **totals,
        }
        self._flushed_s, self._busy_at_flush_s = now_s, busy_s
        self._interruptions_seen = self.stats.spot_interruptions
        self._values = {name: [] for name in DISTRIBUTIONS}
        self._counts = dict.fromkeys(self._counts, 0)
        return doc

    def flush(self, force: bool = False) -> None:
        with self._lock:
            full = any(len(v) >= MAX_VALUES for v in self._values.values())
            due = self.clock.monotonic() - self._flushed_s >= self.flush_every_s
            if not (force or full or due):
                return
            line = json.dumps(self.document(), separators=(",", ":")) + "\n"
            self.stream.write(line)
            self.stream.flush()

    def _add(self, name: str, value: float) -> None:
        with self._lock:
            self._values[name].append(round(value, 6))

    def on_batch_received(self, n: int, queue: str) -> None:
        self._add("BatchSize", n)
        self.flush()

    def on_busy(self) -> None:
        self.stats.busy(True)

    def on_idle(self) -> None:
        self.stats.busy(False)
        self.flush()

    def on_job_done(self, job_id: str, attempt: int, timings: JobTimings) -> None:
        self.stats.job_done(timings)
        for name, value in (
            ("QueueWaitSeconds", timings.queue_wait_s), ("FetchSeconds", timings.fetch_s),
            ("HandleSeconds", timings.handle_s), ("StoreSeconds", timings.store_s),
        ):  # fmt: skip
            self._add(name, value)
        with self._lock:
            self._counts["JobsSucceeded"] += 1
        self.flush()

    def on_job_failed(self, job_id: str, attempt: int, error: str, outcome: str) -> None:
        if outcome == "released":  # handed back on a drain: not a failure
            return
        with self._lock:
            self._counts["JobsRetried" if outcome == "retry" else "JobsFailed"] += 1
        self.flush()

    def on_draining(self, reason: str) -> None:
        self.stats.draining(reason)
        self.flush(force=True)

    def on_stop(self, reason: str, exit_code: int) -> None:
        self.stats.busy(False)
        self.flush(force=True)
