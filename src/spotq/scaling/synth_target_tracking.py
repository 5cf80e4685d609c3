"""What `spotq synth --scaling-engine aws-target-tracking` deploys, as the service experiences it.

Two CloudWatch-driven pieces (spotq.aws.synth.autoscaling):
- a step alarm on the work queues' visible messages (Maximum, 1-minute period, one datapoint),
  firing only while the service's desired count is 0: it sets the count to 1;
- target tracking on (visible + in flight) per running task (the whole backlog with no task
  running) at `target_backlog_per_worker`: 3 datapoints above target to scale out, 15 below
  90 % of it to scale in (spotq.scaling.cloudwatch).

Both see SQS's 1-minute datapoints `metric_lag_s` late (SQS developer guide, "Available
CloudWatch metrics for Amazon SQS"). A queue with no messages and no API calls for 6 hours is
inactive and publishes nothing; when it wakes, its metrics can take up to 15 minutes to come
back (same guide): the step alarm then waits `wake_lag_s`. With no task running nothing polls
the queue, so a queue idle that long is inactive. Workers hold ECS task scale-in protection
while busy, so a scale-in stops idle tasks only.
"""

from __future__ import annotations

import math
from collections import deque
from typing import NamedTuple

from spotq.scaling.backlog import clamp
from spotq.scaling.base import Observation
from spotq.scaling.cloudwatch import TargetTrackingAlarms

SQS_INACTIVE_AFTER_S = 6 * 3600.0
SQS_WAKE_LAG_S = 15 * 60.0


class _Datapoint(NamedTuple):
    visible: int
    per_task: float
    desired_zero: bool


class SynthTargetTrackingPolicy:
    """Step alarm for 0→1 plus backlog-per-task target tracking, through late 1-minute metrics."""

    name = "synth-target-tracking"
    idle_only_scale_in = True

    def __init__(
        self,
        target_backlog_per_worker: float = 1.0,
        min_workers: int = 0,
        max_workers: int = 10,
        scale_out_cooldown_s: float = 0.0,
        scale_in_cooldown_s: float = 60.0,
        metric_period_s: float = 60.0,
        metric_lag_s: float = 90.0,
        inactive_after_s: float = SQS_INACTIVE_AFTER_S,
        wake_lag_s: float = SQS_WAKE_LAG_S,
    ) -> None:
        self.min_workers, self.max_workers = min_workers, max_workers
        self.period_s, self.lag_s = metric_period_s, metric_lag_s
        self.inactive_after_s, self.wake_lag_s = inactive_after_s, wake_lag_s
        self.scale_out_cooldown_s = scale_out_cooldown_s
        self._alarms = TargetTrackingAlarms(
            target_backlog_per_worker, scale_out_cooldown_s, scale_in_cooldown_s
        )
        self._desired: int | None = None
        self._next_sample_s: float | None = None
        self._last_active_s = 0.0
        self._resume_s = -math.inf  # metrics of a woken queue are published from here on
        self._pending: deque[tuple[float, _Datapoint | None]] = deque()

    def desired(self, obs: Observation) -> int:
        if self._desired is None:
            self._desired = max(obs.workers, self.min_workers)
            self._last_active_s = obs.now_s
            self._next_sample_s = math.floor(obs.now_s / self.period_s) * self.period_s
        self._track_activity(obs)
        self._sample(obs)
        capacity = self._desired
        while self._pending and self._pending[0][0] <= obs.now_s:
            point = self._pending.popleft()[1]
            capacity = self._apply(obs.now_s, point, capacity)
        self._desired = clamp(capacity, self.min_workers, self.max_workers)
        return self._desired

    def _track_activity(self, obs: Observation) -> None:
        if obs.backlog > 0 or obs.workers > 0:  # messages, or workers polling the queue
            if obs.now_s - self._last_active_s >= self.inactive_after_s:
                self._resume_s = obs.now_s + self.wake_lag_s
            self._last_active_s = obs.now_s

    def _sample(self, obs: Observation) -> None:
        assert self._next_sample_s is not None and self._desired is not None
        while obs.now_s >= self._next_sample_s:
            at = self._next_sample_s
            point = None
            if at - self._last_active_s < self.inactive_after_s or obs.backlog > 0:
                per_task = obs.backlog / obs.running if obs.running > 0 else float(obs.backlog)
                point = _Datapoint(obs.visible, per_task, self._desired == 0)
            self._pending.append((max(at + self.lag_s, self._resume_s), point))
            self._next_sample_s += self.period_s

    def _apply(self, now_s: float, point: _Datapoint | None, capacity: int) -> int:
        if point is not None and point.visible >= 1 and point.desired_zero and capacity == 0:
            capacity = 1  # the step policy: ExactCapacity 1
        return self._alarms.step(now_s, [None if point is None else point.per_task], capacity)
