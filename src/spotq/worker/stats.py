"""A worker's own numbers, accumulated from its hooks: jobs by outcome, where each job's time
went (queue wait, fetch, handle, store), batch sizes, the busy fraction, drains and spot
interruptions, memory. Read by the metrics file (local) and EMF (AWS) hooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spotq.clock import Clock
from spotq.worker.hooks import JobTimings

PHASES = ("queue_wait_s", "fetch_s", "handle_s", "store_s")


@dataclass
class Summary:
    """Count, sum and max of one measured quantity."""

    count: int = 0
    total: float = 0.0
    peak: float = 0.0

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.peak = max(self.peak, value)

    def to_dict(self) -> dict[str, float]:
        return {"count": self.count, "sum": round(self.total, 6), "max": round(self.peak, 6)}


@dataclass
class WorkerStats:
    """Cumulative since the worker started; `busy_s` counts time holding at least one job."""

    clock: Clock
    started_s: float = 0.0
    jobs_succeeded: int = 0
    jobs_failed: dict[str, int] = field(default_factory=dict)  # by outcome: retry, failed, ...
    phases: dict[str, Summary] = field(default_factory=lambda: {p: Summary() for p in PHASES})
    batch_size: Summary = field(default_factory=Summary)
    drains: int = 0
    spot_interruptions: int = 0
    rss_bytes: int = 0
    busy_s: float = 0.0
    _busy_since_s: float | None = None

    def __post_init__(self) -> None:
        self.started_s = self.clock.monotonic()

    def job_done(self, timings: JobTimings) -> None:
        self.jobs_succeeded += 1
        for phase in PHASES:
            self.phases[phase].add(getattr(timings, phase))

    def job_failed(self, outcome: str) -> None:
        self.jobs_failed[outcome] = self.jobs_failed.get(outcome, 0) + 1

    def batch(self, n: int) -> None:
        self.batch_size.add(n)

    def busy(self, is_busy: bool) -> None:
        now_s = self.clock.monotonic()
        if is_busy and self._busy_since_s is None:
            self._busy_since_s = now_s
        elif not is_busy and self._busy_since_s is not None:
            self.busy_s += now_s - self._busy_since_s
            self._busy_since_s = None

    def draining(self, reason: str) -> None:
        self.drains += 1
        if reason.startswith("spot-"):
            self.spot_interruptions += 1

    def busy_total_s(self) -> float:
        """Busy seconds so far, counting a busy spell still under way."""
        open_s = 0.0
        if self._busy_since_s is not None:
            open_s = self.clock.monotonic() - self._busy_since_s
        return self.busy_s + open_s

    def busy_fraction(self) -> float:
        alive_s = self.clock.monotonic() - self.started_s
        return min(1.0, self.busy_total_s() / alive_s) if alive_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "jobs_succeeded": self.jobs_succeeded,
            "jobs_failed": dict(self.jobs_failed),
            "phases": {name: s.to_dict() for name, s in self.phases.items()},
            "batch_size": self.batch_size.to_dict(),
            "busy_s": round(self.busy_total_s(), 3),
            "busy_fraction": round(self.busy_fraction(), 4),
            "uptime_s": round(self.clock.monotonic() - self.started_s, 3),
            "drains": self.drains,
            "spot_interruptions": self.spot_interruptions,
            "rss_bytes": self.rss_bytes,
        }
