"""Capacity math for a realtime service: tasks from RPS, hosts from GPUs, the latency budget."""

from __future__ import annotations

import math
from dataclasses import dataclass

from spotq.plan.scenario import Scenario


def tasks_for_rps(rps: float, rps_per_task: float) -> int:
    """ceil(RPS / RPS per task): tasks to serve a request rate."""
    if rps <= 0:
        return 0
    return math.ceil(rps / rps_per_task - 1e-9)


@dataclass(frozen=True)
class LatencyBudget:
    """Named parts of the latency budget, their total and whether it fits the target."""

    parts_ms: dict[str, float]
    total_ms: float
    target_ms: float | None

    @property
    def holds(self) -> bool | None:
        return None if self.target_ms is None else self.total_ms <= self.target_ms + 1e-9


@dataclass(frozen=True)
class RealtimeCapacity:
    """The service's baseline and peak, in RPS and in tasks."""

    rps_per_task: float
    baseline_rps: float
    peak_rps: float
    baseline_tasks: int
    peak_tasks: int
    budget: LatencyBudget | None

    @property
    def baseline_capacity_rps(self) -> float:
        return self.baseline_tasks * self.rps_per_task

    @property
    def baseline_covers_peak(self) -> bool:
        return self.baseline_capacity_rps + 1e-9 >= self.peak_rps


def latency_budget(scenario: Scenario) -> LatencyBudget | None:
    """The scenario's latency budget split, or None when it gives none."""
    parts = scenario.latency_budget_ms
    if parts is None:
        return None
    target = scenario.latency_target_s
    return LatencyBudget(
        dict(parts), sum(parts.values()), None if target is None else target * 1000
    )


def realtime_capacity(scenario: Scenario) -> RealtimeCapacity:
    """Tasks for the baseline and for the peak (the baseline defaults to the peak)."""
    workload = scenario.workload
    assert workload.rps_per_task is not None and workload.peak_rps is not None
    baseline = workload.baseline_rps if workload.baseline_rps is not None else workload.peak_rps
    return RealtimeCapacity(
        rps_per_task=workload.rps_per_task,
        baseline_rps=baseline,
        peak_rps=workload.peak_rps,
        baseline_tasks=tasks_for_rps(baseline, workload.rps_per_task),
        peak_tasks=tasks_for_rps(workload.peak_rps, workload.rps_per_task),
        budget=latency_budget(scenario),
    )
