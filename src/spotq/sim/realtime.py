"""Realtime services in `spotq simulate`: a day of requests against the service scaling policies.

Second by second: Poisson arrivals at the scenario's rate profile (its baseline at night rising
to its peak at 15:00), tasks that each serve `rps_per_task` and take `startup_s` to become
ready, and FIFO queueing in front of them. A request that would wait past what the latency
target leaves after the fixed parts is shed (503), as `spotq serve` does; with no task ready
every request is shed. Served requests' latency is the budget's fixed parts (network,
serialisation) + inference + queueing. Pure: numbers in, numbers out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from spotq.plan.realtime import tasks_for_rps
from spotq.scaling.requests import (
    AlbRequestCountTracking,
    FixedTasks,
    RequestObservation,
    ServicePolicy,
    SpotqRps,
)

DAY_S = 86_400
_PEAK_HOUR = 15.0
_BIN_MS = 1.0
_MAX_MS = 120_000


@dataclass(frozen=True)
class RealtimeSimConfig:
    rps_per_task: float
    baseline_rps: float
    peak_rps: float
    fixed_ms: float  # network + serialisation
    inference_ms: float
    target_ms: float  # p95 target; waits past target - fixed - inference are shed
    startup_s: float
    min_tasks: int
    max_tasks: int
    usd_per_task_hour: float
    duration_s: int = DAY_S
    utilisation: float = 0.7
    seed: int = 1


@dataclass(frozen=True)
class RealtimeResult:
    policy: str
    requests: int
    served: int
    shed: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_tasks: float
    peak_tasks: int
    cost_usd: float

    @property
    def shed_fraction(self) -> float:
        return self.shed / max(1, self.requests)


def rate_profile(config: RealtimeSimConfig) -> np.ndarray:
    """Requests per second for each second: baseline, a raised-cosine day peaking at 15:00."""
    hours = np.arange(config.duration_s) / 3600 % 24
    distance = np.minimum(np.abs(hours - _PEAK_HOUR), 24 - np.abs(hours - _PEAK_HOUR))
    bump = np.where(distance < 6, 0.5 * (1 + np.cos(np.pi * distance / 6)), 0.0)
    return config.baseline_rps + (config.peak_rps - config.baseline_rps) * bump


def policies(config: RealtimeSimConfig) -> list[ServicePolicy]:
    target = max(1.0, math.floor(config.rps_per_task * 60 * config.utilisation))
    low, high = config.min_tasks, config.max_tasks
    return [
        AlbRequestCountTracking(target_per_minute=target, min_tasks=low, max_tasks=high),
        SpotqRps(config.rps_per_task, config.utilisation, min_tasks=low, max_tasks=high),
        FixedTasks(max(low, tasks_for_rps(config.peak_rps, config.rps_per_task))),
    ]


def simulate_realtime(config: RealtimeSimConfig, policy: ServicePolicy) -> RealtimeResult:
    """One policy over the whole profile."""
    rng = np.random.default_rng(config.seed)
    arrivals = rng.poisson(rate_profile(config))
    histogram = np.zeros(int(_MAX_MS / _BIN_MS) + 1, dtype=np.int64)
    wait_budget_s = max(0.0, (config.target_ms - config.fixed_ms - config.inference_ms) / 1000)
    base_ms = config.fixed_ms + config.inference_ms
    running = max(config.min_tasks, policy.desired(RequestObservation(0.0, 0.0, 0.0, 0)))
    starting: list[float] = []  # ready times of tasks still starting
    queue, shed, task_s, peak = 0.0, 0, 0, running
    next_tick = 0.0
    for t, arrived in enumerate(arrivals.tolist()):
        ready = [s for s in starting if s <= t]
        running += len(ready)
        starting = [s for s in starting if s > t]
        if t >= next_tick:
            running, starting = _apply(policy, arrivals, t, running, starting, config)
            next_tick = t + policy.tick_s
        capacity = running * config.rps_per_task
        # At most what can be answered within the wait budget stays queued; the rest is shed.
        room = max(0.0, (wait_budget_s + 1) * capacity - queue)
        admitted = min(arrived, int(room))
        shed += arrived - admitted
        queue += admitted
        served_now = min(queue, capacity)
        if admitted:
            wait_ms = 1000 * max(0.0, queue - admitted / 2 - capacity / 2) / capacity
            index = min(len(histogram) - 1, int((base_ms + wait_ms) / _BIN_MS))
            histogram[index] += admitted
        queue -= served_now
        task_s += running + len(starting)  # a starting task is billed too
        peak = max(peak, running + len(starting))
    return _result(policy.name, arrivals, shed, histogram, task_s, peak, config)


def _apply(
    policy: ServicePolicy,
    arrivals: np.ndarray,
    t: int,
    running: int,
    starting: list[float],
    config: RealtimeSimConfig,
) -> tuple[int, list[float]]:
    tick = max(1, int(policy.tick_s))
    rps_tick = float(arrivals[max(0, t - tick) : t].sum()) / tick if t else 0.0
    rps_minute = float(arrivals[max(0, t - 60) : t].sum()) / 60 if t else 0.0
    obs = RequestObservation(float(t), rps_tick, rps_minute, running, len(starting))
    wanted = policy.desired(obs)
    if wanted > obs.tasks:
        starting = starting + [t + config.startup_s] * (wanted - obs.tasks)
    elif wanted < obs.tasks:
        cut = obs.tasks - wanted
        drop_starting = min(cut, len(starting))
        starting = starting[: len(starting) - drop_starting]
        running = max(0, running - (cut - drop_starting))  # drained, then stopped
    return running, starting


def _result(
    name: str,
    arrivals: np.ndarray,
    shed: int,
    histogram: np.ndarray,
    task_s: int,
    peak: int,
    config: RealtimeSimConfig,
) -> RealtimeResult:
    served = int(histogram.sum())
    cumulative = np.cumsum(histogram)

    def percentile(q: float) -> float:
        if served == 0:
            return math.nan
        return float(np.searchsorted(cumulative, q * served) * _BIN_MS)

    return RealtimeResult(
        policy=name,
        requests=int(arrivals.sum()),
        served=served,
        shed=shed,
        p50_ms=percentile(0.5),
        p95_ms=percentile(0.95),
        p99_ms=percentile(0.99),
        mean_tasks=task_s / config.duration_s,
        peak_tasks=peak,
        cost_usd=task_s / 3600 * config.usd_per_task_hour,
    )
