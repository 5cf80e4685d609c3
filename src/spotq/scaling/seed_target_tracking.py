"""The seeds' target tracking as their authors describe it: 1 visible message per task, 60 s
scale-out and 300 s scale-in cooldowns (seed 000 "Task Auto Scaling"; seed 001 item 6; seed 004's
table). The metric is read instantly and exactly, as the seeds assume; how AWS really delivers it
is `aws-target-tracking`. The metric is ApproximateNumberOfMessagesVisible only, so work in
flight does not hold capacity, and ECS scale-in stops any task, busy or not (CDK #9242).
"""

from __future__ import annotations

import math

from spotq.scaling.backlog import clamp, tasks_for_backlog
from spotq.scaling.base import Observation


class SeedTargetTrackingPolicy:
    """desired = ceil(visible / target) with scale-out and scale-in cooldowns."""

    name = "seed-target-tracking"
    idle_only_scale_in = False

    def __init__(
        self,
        target_messages_per_task: float = 1.0,
        min_workers: int = 0,
        max_workers: int = 5,
        scale_out_cooldown_s: float = 60.0,
        scale_in_cooldown_s: float = 300.0,
    ) -> None:
        self.target_messages_per_task = target_messages_per_task
        self.min_workers = min_workers
        self.max_workers = max_workers
        self.scale_out_cooldown_s = scale_out_cooldown_s
        self.scale_in_cooldown_s = scale_in_cooldown_s
        self._desired: int | None = None
        self._last_out_s = -math.inf
        self._last_in_s = -math.inf

    def desired(self, obs: Observation) -> int:
        if self._desired is None:
            self._desired = obs.workers
        want = clamp(
            tasks_for_backlog(obs.visible, self.target_messages_per_task),
            self.min_workers,
            self.max_workers,
        )
        now = obs.now_s
        if want > self._desired and now - self._last_out_s >= self.scale_out_cooldown_s:
            self._desired = want
            self._last_out_s = now
        elif want < self._desired and now - self._last_in_s >= self.scale_in_cooldown_s:
            self._desired = want
            self._last_in_s = now
        return self._desired
