"""spotq's default policy: leave zero at once, track a backlog per worker, shed only idle workers.

Rules, in order, at each evaluation:
1. From zero, a single message is enough: go straight to ceil(backlog / target), with no cooldown
   and no datapoints to wait for (the `> target` and 3-datapoint alarms of the AWS policies never
   see one message).
2. Scale out to ceil(backlog / target) once `scale_out_cooldown_s` passed since the last
   scale-out (backlog = visible + in flight, so busy workers are counted).
3. Scale in only when the wanted count stayed below the current one for `scale_in_cooldown_s`,
   and never below the number of busy workers: scale-in only ever removes idle workers.
4. With nothing queued, in flight or busy, go to `min_workers` after an idle hold. The hold is
   `idle_to_zero_s`, or `keep_warm_s` while jobs arrive faster than a worker starts (one arrival
   per `startup_s` or more over the last `rate_window_s`): then a cold start would cost more, in
   billed start-up and in latency, than the idle seconds it saves (ski rental).
"""

from __future__ import annotations

import math
from collections import deque

from spotq.scaling.backlog import clamp, tasks_for_backlog
from spotq.scaling.base import Observation


class SpotqDefaultPolicy:
    """Backlog-per-worker tracking: immediate 0→1, idle-only scale-in, arrival-aware idle hold."""

    name = "spotq-default"
    idle_only_scale_in = True

    def __init__(
        self,
        target_backlog_per_worker: float = 1.0,
        min_workers: int = 0,
        max_workers: int = 10,
        scale_out_cooldown_s: float = 0.0,
        scale_in_cooldown_s: float = 30.0,
        idle_to_zero_s: float = 60.0,
        startup_s: float = 60.0,
        keep_warm_s: float = 600.0,
        rate_window_s: float = 900.0,
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
        self.startup_s = startup_s
        self.keep_warm_s = keep_warm_s
        self.rate_window_s = rate_window_s
        self._last_out_s = -math.inf
        self._below_since_s: float | None = None
        self._idle_since_s: float | None = None
        self._arrivals: deque[tuple[float, int]] = deque()

    def desired(self, obs: Observation) -> int:
        self._track_arrivals(obs)
        current = obs.workers
        if self._idle(obs):
            assert self._idle_since_s is not None
            if obs.now_s - self._idle_since_s >= self.idle_hold_s():
                return self.min_workers
            return max(current, self.min_workers)
        want = clamp(
            tasks_for_backlog(obs.backlog, self.target_backlog_per_worker),
            self.min_workers,
            self.max_workers,
        )
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

    def idle_hold_s(self) -> float:
        """How long an idle fleet stays up before going to `min_workers`."""
        rate = self.arrival_rate_per_s()
        if rate * self.startup_s >= 1.0:
            return max(self.keep_warm_s, self.idle_to_zero_s)
        return self.idle_to_zero_s

    def arrival_rate_per_s(self) -> float:
        """Messages sent per second over the rate window (0 until a minute of history)."""
        if len(self._arrivals) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self._arrivals[0], self._arrivals[-1]
        return (n1 - n0) / (t1 - t0) if t1 - t0 >= 60.0 else 0.0

    def _track_arrivals(self, obs: Observation) -> None:
        self._arrivals.append((obs.now_s, obs.arrived))
        while self._arrivals[0][0] < obs.now_s - self.rate_window_s:
            self._arrivals.popleft()

    def _idle(self, obs: Observation) -> bool:
        if obs.backlog > 0 or obs.busy > 0:
            self._idle_since_s = None
            return False
        if self._idle_since_s is None:
            self._idle_since_s = obs.now_s
        return True

    def _scale_in(self, obs: Observation, want: int, current: int) -> int:
        if self._below_since_s is None:
            self._below_since_s = obs.now_s
        if obs.now_s - self._below_since_s < self.scale_in_cooldown_s:
            return current
        return max(want, obs.busy, self.min_workers)
