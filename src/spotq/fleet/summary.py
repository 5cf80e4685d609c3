"""The end-of-run summary: counts, end-to-end latency percentiles, worker-seconds, peak workers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.table import Table

from spotq.jobs import JobRecord, JobState


@dataclass(frozen=True)
class RunSummary:
    jobs: int
    succeeded: int
    failed: int
    dead: int
    p50_latency_s: float | None
    p95_latency_s: float | None
    wall_s: float
    worker_seconds: float
    peak_workers: int

    @property
    def ok(self) -> bool:
        return self.succeeded == self.jobs

    @property
    def jobs_per_s(self) -> float:
        return self.jobs / self.wall_s if self.wall_s > 0 else 0.0


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank q-th percentile (0 < q <= 100) of `values`; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(
    records: Sequence[JobRecord], wall_s: float, worker_seconds: float, peak_workers: int
) -> RunSummary:
    latencies = [r.finished_at_s - r.submitted_at_s for r in records if r.finished_at_s is not None]
    states = [r.state for r in records]
    return RunSummary(
        jobs=len(records),
        succeeded=states.count(JobState.SUCCEEDED),
        failed=states.count(JobState.FAILED),
        dead=states.count(JobState.DEAD),
        p50_latency_s=percentile(latencies, 50),
        p95_latency_s=percentile(latencies, 95),
        wall_s=wall_s,
        worker_seconds=worker_seconds,
        peak_workers=peak_workers,
    )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def render(summary: RunSummary) -> Table:
    table = Table(title="spotq run", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    rows = [
        ("jobs", str(summary.jobs)),
        ("succeeded", str(summary.succeeded)),
        ("failed / dead", f"{summary.failed} / {summary.dead}"),
        ("p50 end-to-end latency", _seconds(summary.p50_latency_s)),
        ("p95 end-to-end latency", _seconds(summary.p95_latency_s)),
        ("wall time", _seconds(summary.wall_s)),
        ("throughput", f"{summary.jobs_per_s:.2f} jobs/s"),
        ("worker-seconds", f"{summary.worker_seconds:.1f}"),
        ("peak workers", str(summary.peak_workers)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table
