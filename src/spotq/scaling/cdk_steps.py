"""CDK's QueueProcessingFargateService default scaling (aws-cdk-lib aws-ecs-patterns,
QueueProcessingServiceBaseProps): step scaling on ApproximateNumberOfMessagesVisible with the
default `scalingSteps` [{upper: 0, change: -1}, {lower: 100, change: +1}, {lower: 500, change: +5}],
`cooldown` 300 s, `minScalingCapacity` 1, plus target tracking on 50 % CPU
(`cpuTargetUtilizationPercent`). The queue alarm reads the metric's 5-minute maximum with one
evaluation period, so fewer than 100 visible messages never add a task through it.
"""

from __future__ import annotations

import math

from spotq.scaling.backlog import clamp
from spotq.scaling.base import Observation
from spotq.scaling.cloudwatch import PeriodicMetric, TargetTrackingAlarms

# (lower bound of visible messages, change in tasks), checked from the top.
DEFAULT_STEPS_OUT: tuple[tuple[float, int], ...] = ((500.0, 5), (100.0, 1))


class CdkStepsPolicy:
    """Step scaling on visible messages (+1 at ≥ 100, +5 at ≥ 500, -1 at 0) and CPU tracking."""

    name = "cdk-steps"
    idle_only_scale_in = False

    def __init__(
        self,
        min_workers: int = 1,
        max_workers: int = 10,
        cooldown_s: float = 300.0,
        metric_period_s: float = 300.0,
        metric_lag_s: float = 60.0,
        cpu_target_pct: float | None = 50.0,
    ) -> None:
        self.min_workers = min_workers
        self.max_workers = max_workers
        self.cooldown_s = cooldown_s
        self._queue_metric = PeriodicMetric(metric_period_s, metric_lag_s)
        self._cpu_metric = PeriodicMetric(60.0, metric_lag_s)
        self._cpu = (
            None
            if cpu_target_pct is None
            else TargetTrackingAlarms(cpu_target_pct, cooldown_s, cooldown_s)
        )
        self._period_max = 0
        self._last_step_s = -math.inf
        self._desired: int | None = None

    def desired(self, obs: Observation) -> int:
        if self._desired is None:
            self._desired = max(obs.workers, self.min_workers)
        self._period_max = max(self._period_max, obs.visible)
        datapoints = self._queue_metric.observe(obs.now_s, float(self._period_max))
        if datapoints:
            self._period_max = obs.visible
        by_steps = self._steps(obs.now_s, datapoints, self._desired)
        by_cpu = self._by_cpu(obs, self._desired)
        self._desired = clamp(
            _combine(self._desired, by_steps, by_cpu), self.min_workers, self.max_workers
        )
        return self._desired

    def _steps(self, now_s: float, datapoints: list[float | None], current: int) -> int:
        for value in datapoints:
            if value is None or now_s - self._last_step_s < self.cooldown_s:
                continue
            change = next((c for lower, c in DEFAULT_STEPS_OUT if value >= lower), 0)
            if value <= 0:
                change = -1
            if change:
                self._last_step_s = now_s
                current += change
        return current

    def _by_cpu(self, obs: Observation, current: int) -> int:
        if self._cpu is None:
            return current
        busy_pct = 100.0 * min(obs.busy, obs.running) / obs.running if obs.running else None
        return self._cpu.step(obs.now_s, self._cpu_metric.observe(obs.now_s, busy_pct), current)


def _combine(current: int, *proposals: int) -> int:
    """Several policies on one service: any scale-out wins; scale in only if all agree."""
    if any(p > current for p in proposals):
        return max(proposals)
    if all(p < current for p in proposals):
        return max(proposals)
    return current
