"""Rates a policy can measure from its own observations over a sliding window."""

from __future__ import annotations

from collections import deque
from typing import Any

from spotq.scaling.base import Observation


class RateWindow:
    """Arrival rate and (by Little's law) seconds per job over the last `window_s`.

    Both are recomputed once per observation, so reading them is free.
    """

    def __init__(self, window_s: float = 900.0, min_span_s: float = 60.0) -> None:
        self.window_s = window_s
        self.min_span_s = min_span_s
        self._samples: deque[tuple[float, int, int, int]] = deque()  # t, arrived, backlog, busy
        self._busy_sum = 0
        self.arrival_rate_per_s = 0.0  # messages sent per second (0 until min_span_s of history)
        self.job_s: float | None = None  # busy workers ÷ completions per second, once known

    def observe(self, obs: Observation) -> None:
        """Add one observation, forget those older than the window, update the rates."""
        now, arrived, busy = obs.now_s, obs.arrived, obs.busy
        backlog = obs.visible + obs.in_flight
        samples = self._samples
        samples.append((now, arrived, backlog, busy))
        self._busy_sum += busy
        horizon = now - self.window_s
        while samples[0][0] < horizon:
            self._busy_sum -= samples.popleft()[3]
        t0, arrived0, backlog0, _ = samples[0]
        span = now - t0
        if span < self.min_span_s:
            self.arrival_rate_per_s, self.job_s = 0.0, None
            return
        self.arrival_rate_per_s = (arrived - arrived0) / span
        completed = (arrived - arrived0) - (backlog - backlog0)
        busy_avg = self._busy_sum / len(samples)
        # Little's law needs a few completions to mean anything.
        self.job_s = busy_avg * span / completed if completed >= 3 and busy_avg > 0 else None

    def snapshot(self) -> dict[str, Any]:
        """The window as plain JSON data (the AWS scaler keeps it between invocations)."""
        return {
            "samples": [list(sample) for sample in self._samples],
            "arrival_rate_per_s": self.arrival_rate_per_s,
            "job_s": self.job_s,
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Resume from `snapshot()`'s output."""
        samples = [(float(t), int(a), int(b), int(busy)) for t, a, b, busy in data["samples"]]
        self._samples = deque(samples)
        self._busy_sum = sum(sample[3] for sample in samples)
        self.arrival_rate_per_s = float(data["arrival_rate_per_s"])
        job_s = data["job_s"]
        self.job_s = None if job_s is None else float(job_s)
