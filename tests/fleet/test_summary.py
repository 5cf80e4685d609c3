from __future__ import annotations

import pytest

from spotq.fleet.summary import percentile, render, summarize
from spotq.jobs import JobRecord, JobState


def _record(i: int, state: JobState, latency_s: float | None) -> JobRecord:
    finished = None if latency_s is None else 100.0 + latency_s
    return JobRecord(f"j{i}", "echo", state, submitted_at_s=100.0, finished_at_s=finished)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile([3.0], 95) == 3.0
    assert percentile([], 50) is None


def test_summary_counts_and_latencies() -> None:
    records = [
        _record(0, JobState.SUCCEEDED, 1.0),
        _record(1, JobState.SUCCEEDED, 2.0),
        _record(2, JobState.DEAD, 4.0),
        _record(3, JobState.FAILED, 3.0),
    ]
    summary = summarize(records, wall_s=8.0, worker_seconds=12.5, peak_workers=2)
    assert (summary.jobs, summary.succeeded, summary.failed, summary.dead) == (4, 2, 1, 1)
    assert summary.p50_latency_s == pytest.approx(2.0)
    assert summary.p95_latency_s == pytest.approx(4.0)
    assert summary.jobs_per_s == pytest.approx(0.5)
    assert not summary.ok
    assert summarize(records[:2], 1.0, 1.0, 1).ok
    assert render(summary).row_count == 9
