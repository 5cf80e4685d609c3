"""Rates a policy can measure from its own observations over a sliding window."""

from __future__ import annotations

from collections import deque

from spotq.scaling.base import Observation


class RateWindow:
    """Arrival rate, completion rate and (by Little's law) seconds per job over `window_s`."""

    def __init__(self, window_s: float = 900.0, min_span_s: float = 60.0) -> None:
        self.window_s = window_s
        self.min_span_s = min_span_s
        self._samples: deque[tuple[float, int, int, int]] = deque()  # t, arrived, backlog, busy
        self._busy_sum = 0

    def observe(self, obs: Observation) -> None:
        """Add one observation and forget those older than the window."""
        self._samples.append((obs.now_s, obs.arrived, obs.backlog, obs.busy))
        self._busy_sum += obs.busy
        horizon = obs.now_s - self.window_s
        while self._samples[0][0] < horizon:
            self._busy_sum -= self._samples.popleft()[3]

    def _span(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        return self._samples[-1][0] - self._samples[0][0]

    def arrival_rate_per_s(self) -> float:
        """Messages sent per second (0 until `min_span_s` of history)."""
        span = self._span()
        if span < self.min_span_s:
            return 0.0
        return (self._samples[-1][1] - self._samples[0][1]) / span

    def job_s(self) -> float | None:
        """Mean busy workers ÷ completions per second; None until a few jobs completed."""
        span = self._span()
        if span < self.min_span_s:
            return None
        first, last = self._samples[0], self._samples[-1]
        completed = (last[1] - first[1]) - (last[2] - first[2])
        if completed < 3:
            return None
        busy_avg = self._busy_sum / len(self._samples)
        return busy_avg * span / completed if busy_avg > 0 else None
