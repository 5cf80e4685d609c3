"""Prometheus metrics for one API instance, in its own registry (no process-wide globals)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from spotq.api.errors import NotReady
from spotq.api.gateway import QueueDepth, QueueGateway, queue_call
from spotq.errors import SpotqError
from spotq.storage.base import JobStore


class _StateCollector(Collector):
    """Job counts by state and queue depths, read when scraped rather than tracked by hand."""

    def __init__(self, app: str, jobs: JobStore, queues: QueueGateway) -> None:
        self._app, self._jobs, self._queues = app, jobs, queues

    def collect(self) -> Iterator[Any]:
        # Each source is read on its own: with the queue server or the job store down, the
        # scrape still answers with what it can, and spotq_up says what it could not read.
        up = GaugeMetricFamily("spotq_up", "Whether a dependency answered", labels=["dependency"])
        jobs = GaugeMetricFamily("spotq_jobs", "Jobs by state", labels=["state"])
        try:
            counts = self._jobs.count_by_state(self._app)
        except SpotqError:
            up.add_metric(["job_store"], 0)
        else:
            up.add_metric(["job_store"], 1)
            for state, count in counts.items():
                jobs.add_metric([state.value], count)
            yield jobs
        depth = GaugeMetricFamily("spotq_queue_messages", "Queue depth", labels=["queue", "kind"])
        urls = {"normal": self._queues.normal_url, "high": self._queues.high_url}
        urls["dlq"] = self._queues.dlq_url
        try:
            depths = {name: self._depth(url) for name, url in urls.items()}
        except NotReady:
            up.add_metric(["queue"], 0)
        else:
            up.add_metric(["queue"], 1)
            for name, d in depths.items():
                depth.add_metric([name, "visible"], d.visible)
                depth.add_metric([name, "in_flight"], d.in_flight)
            yield depth
        yield up

    def _depth(self, url: str) -> QueueDepth:
        return queue_call("GetQueueAttributes", lambda: self._queues.depth(url))


class ApiMetrics:
    """The registry and the instruments the routes update."""

    def __init__(self, app: str, jobs: JobStore, queues: QueueGateway) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.submitted = Counter(
            "spotq_jobs_submitted", "Jobs accepted", ["priority"], registry=self.registry
        )
        self.latency = Histogram(
            "spotq_http_request_duration_seconds",
            "Request latency",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.registry.register(_StateCollector(app, jobs, queues))
