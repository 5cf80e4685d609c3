"""AWS target tracking on SQS backlog per task, as Application Auto Scaling runs it.

The metric is ApproximateNumberOfMessagesVisible / RunningTaskCount (the "backlog per instance"
recipe of the EC2 Auto Scaling guide, "Scaling based on Amazon SQS"), one datapoint a minute,
published `metric_lag_s` late. The hidden alarms need 3 datapoints above target to scale out and
15 below 90 % of it to scale in, so scale-out takes ≥ 3 minutes and scale-in ≥ 15.

With 0 running tasks the metric divides by zero: CloudWatch metric math yields no datapoint, the
alarm sees missing data and never fires, so the service never leaves zero on its own. That is why
`min_workers` defaults to 1 here; with 0 the queue is stranded until something else starts a task.
"""

from __future__ import annotations

from spotq.scaling.backlog import clamp
from spotq.scaling.base import Observation
from spotq.scaling.cloudwatch import PeriodicMetric, TargetTrackingAlarms


class AwsTargetTrackingPolicy:
    """Backlog-per-task target tracking through 1-minute, late metrics and 3/15-datapoint alarms."""

    name = "aws-target-tracking"
    idle_only_scale_in = False

    def __init__(
        self,
        target_messages_per_task: float = 1.0,
        min_workers: int = 1,
        max_workers: int = 10,
        scale_out_cooldown_s: float = 60.0,
        scale_in_cooldown_s: float = 300.0,
        metric_period_s: float = 60.0,
        metric_lag_s: float = 90.0,
    ) -> None:
        self.min_workers = min_workers
        self.max_workers = max_workers
        self._metric = PeriodicMetric(metric_period_s, metric_lag_s)
        self._alarms = TargetTrackingAlarms(
            target_messages_per_task, scale_out_cooldown_s, scale_in_cooldown_s
        )
        self._desired: int | None = None

    def desired(self, obs: Observation) -> int:
        if self._desired is None:
            self._desired = max(obs.workers, self.min_workers)
        per_task = obs.visible / obs.running if obs.running > 0 else None
        datapoints = self._metric.observe(obs.now_s, per_task)
        wanted = self._alarms.step(obs.now_s, datapoints, self._desired)
        self._desired = clamp(wanted, self.min_workers, self.max_workers)
        return self._desired
