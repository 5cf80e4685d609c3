"""Prometheus metrics for one API instance, in its own registry (no process-wide globals)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from spotq.api.gateway import QueueGateway
from spotq.storage.base import JobStore


class _StateCollector(Collector):
    """Job counts by state and queue depths, read when scraped rather than tracked by hand."""

    def __init__(self, app: str, jobs: JobStore, queues: QueueGateway) -> None:
        self._app, self._jobs, self._queues = app, jobs, queues

    def collect(self) -> Iterator[Any]:
        jobs = GaugeMetricFamily("spotq_jobs", "Jobs by state", labels=["state"])
        for state, count in self._jobs.count_by_state(self._app).items():
            jobs.add_metric([state.value], count)
        yield jobs
        depth = GaugeMetricFamily("spotq_queue_messages", "Queue depth", labels=["queue", "kind"])
        urls = {"normal": self._queues.normal_url, "high": self._queues.high_url}
        urls["dlq"] = self._queues.dlq_url
        for name, url in urls.items():
            d = self._queues.depth(url)
            depth.add_metric([name, "visible"], d.visible)
            depth.add_metric([name, "in_flight"], d.in_flight)
        yield depth


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
