"""A fixed number of always-on workers: the baseline with no autoscaling at all."""

from __future__ import annotations

from spotq.scaling.base import Observation


class FixedPolicy:
    """Always `workers` workers, whatever the backlog."""

    name = "fixed"
    idle_only_scale_in = True

    def __init__(self, workers: int = 1) -> None:
        if workers < 0:
            raise ValueError("workers must be >= 0")
        self.workers = workers

    def desired(self, obs: Observation) -> int:
        return self.workers
