"""spotq's default policy: leave zero at once, add a worker only where it helps, shed idle ones.

Rules at each evaluation (backlog = visible + in flight; a new worker needs `startup_s`):
1. Scale out for waiting work: from zero, one message is enough (no cooldown, no datapoints, no
   `> target` alarm). Otherwise the workers there (and those starting) are expected to take
   workers × startup_s / job_s of the waiting messages before a new worker could be ready; only
   the rest calls for new workers, one per `target_backlog_per_worker` messages. job_s is
   measured by Little's law (busy workers ÷ completions per second) once jobs complete.
2. Keep capacity for the measured load: ceil(arrival rate × job_s / `max_utilisation`).
3. Scale in only idle workers, never below the busy count or the load capacity, and only after
   the surplus lasted `scale_in_cooldown_s` — best about `startup_s`, since a worker stopped now
   and restarted later costs a start-up (ski rental; the simulator sets it so).
4. With nothing queued, in flight or busy, go to `min_workers` after `idle_to_zero_s`, or after
   `keep_warm_s` while jobs arrive faster than a worker starts (a cold start would then cost more,
   in billed start-up and in latency, than the idle seconds it saves).
"""

from __future__ import annotations

import math
from typing import Any

from spotq.scaling.backlog import clamp
from spotq.scaling.base import Observation
from spotq.scaling.rates import RateWindow


class SpotqDefaultPolicy:
    """Start-up-aware backlog scaling: immediate 0→1, idle-only scale-in, load-aware holds."""

    name = "spotq-default"
    idle_only_scale_in = True
    # Deployed on AWS it sees busy tasks only as in-flight messages capped at the task count (ECS
    # does not say which task is busy); the simulator feeds it the same estimate.
    busy_from_in_flight = True

    def __init__(
        self,
        target_backlog_per_worker: float = 1.0,
        min_workers: int = 0,
        max_workers: int = 10,
        scale_out_cooldown_s: float = 0.0,
        scale_in_cooldown_s: float = 60.0,
        idle_to_zero_s: float = 60.0,
        startup_s: float = 60.0,
        keep_warm_s: float = 600.0,
        rate_window_s: float = 900.0,
        max_utilisation: float = 0.9,
    ) -> None:
        if target_backlog_per_worker <= 0:
            raise ValueError("target_backlog_per_worker must be > 0")
        if not 0 <= min_workers <= max_workers:
            raise ValueError("expected 0 <= min_workers <= max_workers")
        if not 0 < max_utilisation <= 1:
            raise ValueError("max_utilisation must be in (0, 1]")
        self.target_backlog_per_worker = target_backlog_per_worker
        self.min_workers = min_workers
        self.max_workers = max_workers
        self.scale_out_cooldown_s = scale_out_cooldown_s
        self.scale_in_cooldown_s = max(scale_in_cooldown_s, 0.0)
        self.idle_to_zero_s = idle_to_zero_s
        self.startup_s = startup_s
        self.keep_warm_s = keep_warm_s
        self.max_utilisation = max_utilisation
        self.rates = RateWindow(rate_window_s)
        self._last_out_s = -math.inf
        self._surplus_since_s: float | None = None
        self._idle_since_s: float | None = None
        # Why the last decision was made, for decision logs (e.g. the AWS scaler's JSON lines).
        self.reason = "start"

    def desired(self, obs: Observation) -> int:
        if obs.startup_s > 0:  # measured by the fleet: it replaces the configured figure
            self.startup_s = obs.startup_s
        self.rates.observe(obs)
        current = obs.workers
        if self._idle(obs):
            self._surplus_since_s = None
            held = obs.now_s - (obs.now_s if self._idle_since_s is None else self._idle_since_s)
            if held >= self.idle_hold_s():
                self.reason = "idle-to-min"
                return self.min_workers
            self.reason = "idle-hold"
            return clamp(current, self.min_workers, self.max_workers)
        load = self.load_workers()
        out = self._scale_out(obs, current, load)
        if out > current:
            self.reason = "from-zero" if current == 0 else ("load" if out == load else "backlog")
            return clamp(out, self.min_workers, self.max_workers)
        floor = max(obs.busy, load, self.min_workers, self._queue_workers(obs))
        return self._scale_in(obs, floor, current)

    def job_s(self) -> float:
        """Measured seconds per job (Little's law), or `startup_s` until jobs complete."""
        measured = self.rates.job_s
        return self.startup_s if measured is None else measured

    def load_workers(self) -> int:
        """Workers the measured arrival rate keeps busy at `max_utilisation`."""
        offered = self.rates.arrival_rate_per_s * self.job_s()
        return math.ceil(offered / self.max_utilisation - 1e-9) if offered > 0 else 0

    def idle_hold_s(self) -> float:
        """How long an idle fleet stays up before going to `min_workers`."""
        if self.rates.arrival_rate_per_s * self.startup_s >= 1.0:
            return max(self.keep_warm_s, self.idle_to_zero_s)
        return self.idle_to_zero_s

    def _scale_out(self, obs: Observation, current: int, load: int) -> int:
        if obs.visible <= 0:
            return current
        if current > 0 and obs.now_s - self._last_out_s < self.scale_out_cooldown_s:
            return current
        if current == 0:
            extra = math.ceil(obs.visible / self.target_backlog_per_worker)
        else:
            # Messages the present workers cannot reach before a new one would be ready; one
            # new worker per `target_backlog_per_worker` of them.
            left = obs.visible - current * self.startup_s / self.job_s()
            extra = math.floor(max(left, 0.0) / self.target_backlog_per_worker + 1e-9)
        wanted = max(current + extra, load)
        if wanted > current:
            self._last_out_s = obs.now_s
        return wanted

    def _queue_workers(self, obs: Observation) -> int:
        # Workers to keep while messages wait: enough that none waits for a start-up.
        return math.ceil(obs.visible / self.target_backlog_per_worker) if obs.visible else 0

    def _scale_in(self, obs: Observation, floor: int, current: int) -> int:
        if current <= floor:
            self._surplus_since_s = None
            self.reason = "steady"
            return current
        if self._surplus_since_s is None:
            self._surplus_since_s = obs.now_s
        if obs.now_s - self._surplus_since_s < self.scale_in_cooldown_s:
            self.reason = "surplus-hold"
            return current
        self.reason = "scale-in"
        return clamp(floor, self.min_workers, self.max_workers)

    def _idle(self, obs: Observation) -> bool:
        if obs.backlog > 0 or obs.busy > 0:
            self._idle_since_s = None
            return False
        if self._idle_since_s is None:
            self._idle_since_s = obs.now_s
        return True

    def snapshot(self) -> dict[str, Any]:
        """The state a decision depends on, as plain JSON data, so a policy that runs in short
        invocations (the AWS scaler) resumes where it stopped rather than starting cold."""
        # startup_s is configuration (or the fleet's fresh measurement), not state: a changed
        # `--scaling startup_s` must not be overridden by an old snapshot.
        return {
            "rates": self.rates.snapshot(),
            "last_out_s": None if math.isinf(self._last_out_s) else self._last_out_s,
            "surplus_since_s": self._surplus_since_s,
            "idle_since_s": self._idle_since_s,
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Resume from `snapshot()`'s output (configuration stays as constructed)."""
        self.rates.restore(data["rates"])
        last_out = data["last_out_s"]
        self._last_out_s = -math.inf if last_out is None else float(last_out)
        self._surplus_since_s = _optional_float(data["surplus_since_s"])
        self._idle_since_s = _optional_float(data["idle_since_s"])


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)
