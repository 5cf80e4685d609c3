"""Prometheus metrics for one serving process, in its own registry (no process-wide globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_BATCH_BUCKETS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 32)


class ServeMetrics:
    """The instruments the routes, the batcher and the streams update."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram(
            "spotq_serve_request_duration_seconds",
            "HTTP request latency by route and status",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS_S,
            registry=r,
        )
        self.batch_size = Histogram(
            "spotq_serve_batch_size",
            "Requests per handler call",
            buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.queue_wait = Histogram(
            "spotq_serve_queue_wait_seconds",
            "Time a request waited before its batch started",
            buckets=_LATENCY_BUCKETS_S,
            registry=r,
        )
        self.handler_seconds = Histogram(
            "spotq_serve_handler_seconds", "Handler call time per batch", registry=r
        )
        self.shed = Counter(
            "spotq_serve_shed_requests", "Requests answered 503 by load shedding", ["reason"],
            registry=r,
        )  # fmt: skip
        self.in_flight = Gauge(
            "spotq_serve_requests_in_flight", "Predict requests admitted, not yet answered",
            registry=r,
        )  # fmt: skip
        self.open_streams = Gauge("spotq_serve_open_streams", "Open WebSocket streams", registry=r)
        self.stream_closes = Counter(
            "spotq_serve_stream_closes", "Streams closed, by close code", ["code"], registry=r
        )
        self.final_latency = Histogram(
            "spotq_serve_final_latency_seconds",
            "End of an utterance (its last audio received) to its final transcript sent",
            buckets=_LATENCY_BUCKETS_S,
            registry=r,
        )
