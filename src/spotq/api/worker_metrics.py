"""Local workers' own metrics on the API's Prometheus `/metrics`: each worker writes
`worker-N.metrics.json` (spotq.worker.metrics_file) in the fleet's workers directory, and this
collector reads them when scraped. File names are spotq's own, never taken from a request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector

PHASES = ("queue_wait_s", "fetch_s", "handle_s", "store_s")


def read_worker_metrics(workers_dir: Path) -> dict[int, dict[str, Any]]:
    """Worker number -> its last metrics document."""
    found: dict[int, dict[str, Any]] = {}
    for path in workers_dir.glob("worker-*.metrics.json"):
        number = path.name.removeprefix("worker-").removesuffix(".metrics.json")
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # caught mid-rename, or gone
        if number.isdigit() and isinstance(doc, dict):
            found[int(number)] = doc
    return found


class WorkerFilesCollector(Collector):
    def __init__(self, workers_dir: Path) -> None:
        self.workers_dir = workers_dir

    def collect(self) -> Iterator[Any]:
        docs = read_worker_metrics(self.workers_dir)
        jobs = CounterMetricFamily(
            "spotq_worker_jobs", "Jobs a worker finished, by outcome", labels=["worker", "outcome"]
        )
        phase = SummaryMetricFamily(
            "spotq_worker_job_phase_seconds",
            "Where each job's time went: queue wait, input fetch, handler, result store",
            labels=["worker", "phase"],
        )
        batch = SummaryMetricFamily("spotq_worker_batch_size", "Jobs per batch", labels=["worker"])
        busy = GaugeMetricFamily(
            "spotq_worker_busy_ratio", "Fraction of its life a worker held jobs", labels=["worker"]
        )
        rss = GaugeMetricFamily("spotq_worker_rss_bytes", "Resident memory", labels=["worker"])
        drains = CounterMetricFamily(
            "spotq_worker_interruptions", "Spot interruption notices", labels=["worker"]
        )
        for number, doc in sorted(docs.items()):
            w = str(number)
            jobs.add_metric([w, "succeeded"], float(doc.get("jobs_succeeded", 0)))
            for outcome, n in (doc.get("jobs_failed") or {}).items():
                jobs.add_metric([w, str(outcome)], float(n))
            for name in PHASES:
                s = (doc.get("phases") or {}).get(name) or {}
                phase.add_metric([w, name.removesuffix("_s")], s.get("count", 0), s.get("sum", 0.0))
            b = doc.get("batch_size") or {}
            batch.add_metric([w], b.get("count", 0), b.get("sum", 0.0))
            busy.add_metric([w], float(doc.get("busy_fraction", 0.0)))
            rss.add_metric([w], float(doc.get("rss_bytes", 0)))
            drains.add_metric([w], float(doc.get("spot_interruptions", 0)))
        yield from (jobs, phase, batch, busy, rss, drains)
