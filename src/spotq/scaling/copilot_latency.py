"""Copilot worker service autoscaling on `count.queue_delay` (acceptable latency).

Copilot computes an acceptable backlog per task = acceptable_latency / msg_processing_time
(copilot-cli #2796, manifest `queue_delay`), a Lambda publishes BacklogPerTask =
ceil(visible / max(running, 1)) every minute, and a target tracking policy tracks it. Its alarm
fires on BacklogPerTask `>` target, so a backlog of ≤ target messages never starts a first task:
a single waiting message never leaves zero (copilot-cli #3376), and scaling out takes 3 datapoints
and scaling in 15 (copilot-cli #3450).
"""

from __future__ import annotations

import math

from spotq.scaling.backlog import clamp
from spotq.scaling.base import Observation
from spotq.scaling.cloudwatch import PeriodicMetric, TargetTrackingAlarms


def acceptable_backlog_per_task(acceptable_latency_s: float, msg_processing_time_s: float) -> int:
    """Copilot's target: whole messages one task may hold and still meet the latency."""
    if acceptable_latency_s <= 0 or msg_processing_time_s <= 0:
        raise ValueError("acceptable latency and processing time must be > 0")
    return max(1, math.floor(acceptable_latency_s / msg_processing_time_s))


class CopilotLatencyPolicy:
    """Target tracking on Copilot's BacklogPerTask with the acceptable-latency target."""

    name = "copilot-latency"
    idle_only_scale_in = False

    def __init__(
        self,
        acceptable_latency_s: float = 600.0,
        msg_processing_time_s: float = 30.0,
        min_workers: int = 0,
        max_workers: int = 10,
        scale_out_cooldown_s: float = 60.0,
        scale_in_cooldown_s: float = 120.0,
        metric_period_s: float = 60.0,
        metric_lag_s: float = 60.0,
    ) -> None:
        self.target = acceptable_backlog_per_task(acceptable_latency_s, msg_processing_time_s)
        self.min_workers = min_workers
        self.max_workers = max_workers
        self._metric = PeriodicMetric(metric_period_s, metric_lag_s)
        self._alarms = TargetTrackingAlarms(self.target, scale_out_cooldown_s, scale_in_cooldown_s)
        self._desired: int | None = None

    def desired(self, obs: Observation) -> int:
        if self._desired is None:
            self._desired = max(obs.workers, self.min_workers)
        per_task = float(math.ceil(obs.visible / max(obs.running, 1)))
        datapoints = self._metric.observe(obs.now_s, per_task)
        wanted = self._alarms.step(obs.now_s, datapoints, self._desired)
        self._desired = clamp(wanted, self.min_workers, self.max_workers)
        return self._desired
