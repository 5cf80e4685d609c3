"""Local worker metrics: the file beside the status file, and how often it is rewritten."""

from __future__ import annotations

import json
from pathlib import Path

from spotq.clock import FakeClock
from spotq.worker.hooks import JobTimings
from spotq.worker.metrics_file import MetricsFileHooks, metrics_path_for

TIMINGS = JobTimings(queue_wait_s=2.0, fetch_s=0.5, handle_s=1.0, store_s=0.25, batch_size=1)


def test_the_file_sums_phases_and_outcomes_and_is_rewritten_at_most_once_a_second(
    tmp_path: Path,
) -> None:
    path = metrics_path_for(tmp_path / "worker-3.status.json")
    assert path.name == "worker-3.metrics.json"
    clock = FakeClock()
    hooks = MetricsFileHooks(path, clock)
    hooks.on_ready()
    hooks.on_batch_received(2, "normal")
    hooks.on_busy()
    clock.advance(2.0)
    hooks.on_job_done("a", 1, TIMINGS)
    hooks.on_job_done("b", 1, TIMINGS)  # within the second: not written yet
    assert json.loads(path.read_text())["jobs_succeeded"] == 1
    hooks.on_job_failed("c", 1, "boom", "retry")
    hooks.on_idle()
    clock.advance(2.0)
    hooks.on_draining("spot-interruption: terminate")  # forces a write
    doc = json.loads(path.read_text())
    assert doc["jobs_succeeded"] == 2 and doc["jobs_failed"] == {"retry": 1}
    assert doc["phases"]["handle_s"] == {"count": 2, "sum": 2.0, "max": 1.0}
    assert doc["batch_size"]["sum"] == 2
    assert doc["busy_s"] == 2.0 and doc["busy_fraction"] == 0.5
    assert doc["spot_interruptions"] == 1 and doc["rss_bytes"] > 0
