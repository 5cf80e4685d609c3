"""spotq's default policy: leave zero at once, track a backlog per worker, shed only idle workers.

Rules, in order, at each evaluation:
1. Nothing queued, nothing in flight, nobody busy for `idle_to_zero_s` → 0 (`min_workers`).
2. From zero, a single message is enough: go straight to ceil(backlog / target), no cooldown and
   no datapoints to wait for (the `> target` and 3-datapoint alarms of the AWS policies never
   see one message).
3. Scale out to ceil(backlog / target) once `scale_out_cooldown_s` passed since the last
   scale-out (backlog = visible + in flight, so busy workers are counted).
4. Scale in only when the wanted count stayed below the current one for `scale_in_cooldown_s`
   (a stabilisation window: idle workers are kept about as long as a restart would cost), and
   never below the number of busy workers — scale-in only ever removes idle workers.
"""

from __future__ import annotations

import math

from spotq.scaling.backlog import clamp, tasks_for_backlog
from spotq.scaling.base import Observation


class SpotqDefaultPolicy:
    """Backlog-per-worker target tracking with an immediate 0→1 and idle-only scale-in."""

    name = "spotq-default"
    idle_only_scale_in = True

    def __init__(
        self,
        target_backlog_per_worker: float = 1.0,
        min_workers: int = 0,
        max_workers: int = 10,
        scale_out_cooldown_s: float = 0.0,
        scale_in_cooldown_s: float = 60.0,
        idle_to_zero_s: float = 60.0,
    ) -> None:
        if target_backlog_per_worker <= 0:
            raise ValueError("target_backlog_per_worker must be > 0")
        if not 0 <= min_workers <= max_workers:
            raise ValueError("expected 0 <= min_workers <= max_workers")
        self.target_backlog_per_worker = target_backlog_per_worker
        self.min_workers = min_workers
        self.max_workers = max_workers
        self.scale_out_cooldown_s = scale_out_cooldown_s
        self.scale_in_cooldown_s = scale_in_cooldown_s
        self.idle_to_zero_s = idle_to_zero_s
        self._last_out_s = -math.inf
        self._below_since_s: float | None = None
        self._idle_since_s: float | None = None

    def desired(self, obs: Observation) -> int:
        current = obs.workers
        want = clamp(
            tasks_for_backlog(obs.backlog, self.target_backlog_per_worker),
            self.min_workers,
            self.max_workers,
        )
        if self._idle(obs):
            if self.now_idle_for(obs) >= self.idle_to_zero_s:
                return self.min_workers
            return current
        if want > current:
            self._below_since_s = None
            if current == 0 or obs.now_s - self._last_out_s >= self.scale_out_cooldown_s:
                self._last_out_s = obs.now_s
                return want
            return current
        if want < current:
            return self._scale_in(obs, want, current)
        self._below_since_s = None
        return current

    def _idle(self, obs: Observation) -> bool:
        if obs.backlog > 0 or obs.busy > 0:
            self._idle_since_s = None
            return False
        if self._idle_since_s is None:
            self._idle_since_s = obs.now_s
        return True

    def now_idle_for(self, obs: Observation) -> float:
        """Seconds the queue has been empty with no busy worker (0 when it is not)."""
        return 0.0 if self._idle_since_s is None else obs.now_s - self._idle_since_s

    def _scale_in(self, obs: Observation, want: int, current: int) -> int:
        if self._below_since_s is None:
            self._below_since_s = obs.now_s
        if obs.now_s - self._below_since_s < self.scale_in_cooldown_s:
            return current
        return max(want, obs.busy, self.min_workers)
