"""Scaling policies for realtime services: request rate in, desired task count out.

Two policies, pure (observation + clock in, count out), used by the realtime simulator and
meaning what the realtime synthesis deploys:

- `alb-request-count`: AWS target tracking on ALBRequestCountPerTarget, as `spotq synth
  --target realtime-*` configures it. One-minute datapoints; it scales out after 3 datapoints
  above the target and in after 15 below 90 % of it (the alarms AWS creates for target
  tracking), to ceil(tasks × metric / target), with 60 s / 300 s cooldowns.
- `spotq-rps`: spotq's own: every tick it sizes for the recent peak rate at the target
  utilisation, scales out at once and scales in only to the highest size wanted over the
  last `scale_in_window_s`.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol


class RequestObservation(NamedTuple):
    """What a service policy sees: the clock, the request rate over the last tick and over the
    last minute (requests per second), and tasks ready or starting."""

    now_s: float
    rps_tick: float
    rps_minute: float
    running: int
    starting: int = 0

    @property
    def tasks(self) -> int:
        return self.running + self.starting


class ServicePolicy(Protocol):
    name: str
    tick_s: float

    def desired(self, obs: RequestObservation) -> int: ...


@dataclass
class AlbRequestCountTracking:
    """Target tracking on requests per target per minute, with AWS's alarm semantics."""

    target_per_minute: float
    min_tasks: int = 1
    max_tasks: int = 10
    scale_out_cooldown_s: float = 60.0
    scale_in_cooldown_s: float = 300.0
    name: str = "alb-request-count"
    tick_s: float = 60.0
    _above: int = 0
    _below: int = 0
    _last_out_s: float = -math.inf
    _last_in_s: float = -math.inf

    def desired(self, obs: RequestObservation) -> int:
        current = max(obs.tasks, self.min_tasks)
        per_target = obs.rps_minute * 60 / max(1, obs.running)
        self._above = self._above + 1 if per_target > self.target_per_minute else 0
        self._below = self._below + 1 if per_target < 0.9 * self.target_per_minute else 0
        wanted = math.ceil(obs.running * per_target / self.target_per_minute - 1e-9)
        out_ok = obs.now_s - self._last_out_s >= self.scale_out_cooldown_s
        in_ok = obs.now_s - self._last_in_s >= self.scale_in_cooldown_s
        if self._above >= 3 and out_ok and wanted > current:
            self._last_out_s, self._above = obs.now_s, 0
            return self._clamp(wanted)
        if self._below >= 15 and in_ok and wanted < current:
            self._last_in_s, self._below = obs.now_s, 0
            return self._clamp(wanted)
        return self._clamp(current)

    def _clamp(self, n: int) -> int:
        return min(self.max_tasks, max(self.min_tasks, n))


@dataclass
class SpotqRps:
    """Size for the recent peak rate at `utilisation` of each task's rps; out now, in slowly."""

    rps_per_task: float
    utilisation: float = 0.7
    min_tasks: int = 1
    max_tasks: int = 10
    scale_in_window_s: float = 300.0
    name: str = "spotq-rps"
    tick_s: float = 10.0
    _wanted: collections.deque[tuple[float, int]] = field(default_factory=collections.deque)

    def desired(self, obs: RequestObservation) -> int:
        rate = max(obs.rps_tick, obs.rps_minute)
        wanted = math.ceil(rate / (self.rps_per_task * self.utilisation) - 1e-9)
        self._wanted.append((obs.now_s, wanted))
        while self._wanted and self._wanted[0][0] < obs.now_s - self.scale_in_window_s:
            self._wanted.popleft()
        recent_peak = max(n for _, n in self._wanted)
        target = wanted if wanted >= obs.tasks else min(obs.tasks, recent_peak)
        return min(self.max_tasks, max(self.min_tasks, target))


@dataclass
class FixedTasks:
    """Always `tasks` tasks: the plan's answer (sized for the peak), to compare against."""

    tasks: int
    name: str = "fixed-peak"
    tick_s: float = 3600.0

    def desired(self, obs: RequestObservation) -> int:
        return self.tasks
