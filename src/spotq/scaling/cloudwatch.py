"""CloudWatch as the AWS-side policies see it: one datapoint per period, published late, and the
alarms that Application Auto Scaling hides behind a target tracking policy.

Sources: SQS sends its queue metrics to CloudWatch at 1-minute intervals and they can appear some
minutes later (SQS developer guide, "Available CloudWatch metrics for Amazon SQS"); a target
tracking policy's hidden alarms need 3 datapoints above target to scale out and 15 below 90 % of
it to scale in (Application Auto Scaling user guide, "How target tracking works"; Copilot #3450).
"""

from __future__ import annotations

import math
from collections import deque


class PeriodicMetric:
    """Samples a value once per `period_s`; each datapoint is visible only `lag_s` after it."""

    def __init__(self, period_s: float = 60.0, lag_s: float = 90.0) -> None:
        self.period_s = period_s
        self.lag_s = lag_s
        self._next_sample_s: float | None = None
        self._pending: deque[tuple[float, float | None]] = deque()

    def observe(self, now_s: float, value: float | None) -> list[float | None]:
        """Record `value` if a period boundary passed; return datapoints published by `now_s`."""
        if self._next_sample_s is None:
            self._next_sample_s = math.floor(now_s / self.period_s) * self.period_s
        while now_s >= self._next_sample_s:
            self._pending.append((self._next_sample_s + self.lag_s, value))
            self._next_sample_s += self.period_s
        published: list[float | None] = []
        while self._pending and self._pending[0][0] <= now_s:
            published.append(self._pending.popleft()[1])
        return published


class TargetTrackingAlarms:
    """The two alarms of a target tracking policy and the capacity they ask for.

    `None` datapoints (metric undefined, e.g. backlog per task with no task) count as missing data:
    they break both streaks, so an alarm never fires on them.
    """

    def __init__(
        self,
        target: float,
        scale_out_cooldown_s: float,
        scale_in_cooldown_s: float,
        high_datapoints: int = 3,
        low_datapoints: int = 15,
        low_fraction: float = 0.9,
    ) -> None:
        self.target = target
        self.scale_out_cooldown_s = scale_out_cooldown_s
        self.scale_in_cooldown_s = scale_in_cooldown_s
        self.high_datapoints = high_datapoints
        self.low_datapoints = low_datapoints
        self.low_fraction = low_fraction
        self._high = 0
        self._low = 0
        self._last_out_s = -math.inf
        self._last_in_s = -math.inf

    def step(self, now_s: float, datapoints: list[float | None], capacity: int) -> int:
        """New desired capacity after the datapoints published since the last call."""
        for value in datapoints:
            capacity = self._one(now_s, value, capacity)
        return capacity

    def _one(self, now_s: float, value: float | None, capacity: int) -> int:
        if value is None:
            self._high = self._low = 0
            return capacity
        self._high = self._high + 1 if value > self.target else 0
        self._low = self._low + 1 if value < self.low_fraction * self.target else 0
        proportional = math.ceil(max(capacity, 1) * value / self.target)
        if (
            self._high >= self.high_datapoints
            and now_s - self._last_out_s >= self.scale_out_cooldown_s
        ):
            wanted = max(proportional, capacity + 1)
            if wanted > capacity:
                self._last_out_s = now_s
                return wanted
        if (
            self._low >= self.low_datapoints
            and capacity > 0
            and now_s - self._last_in_s >= self.scale_in_cooldown_s
        ):
            wanted = min(proportional, capacity - 1)
            if wanted < capacity:
                self._last_in_s = now_s
                return max(wanted, 0)
        return capacity
