"""What a run produces: raw per-job arrays and per-tick series, and the summary metrics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from spotq.scaling.registry import OBSERVATION_PATHS
from spotq.sim.bounds import busy_floor_usd, startup_bound_usd
from spotq.sim.config import SimConfig

FloatArray = NDArray[np.float64]


@dataclass
class Series:
    """Per policy tick: time, visible, in flight, workers, busy, cumulative cost."""

    t_s: list[float] = field(default_factory=list)
    visible: list[int] = field(default_factory=list)
    in_flight: list[int] = field(default_factory=list)
    workers: list[int] = field(default_factory=list)
    busy: list[int] = field(default_factory=list)
    cost_usd: list[float] = field(default_factory=list)

    def append(
        self, t: float, visible: int, in_flight: int, workers: int, busy: int, cost: float
    ) -> None:
        self.t_s.append(t)
        self.visible.append(visible)
        self.in_flight.append(in_flight)
        self.workers.append(workers)
        self.busy.append(busy)
        self.cost_usd.append(cost)


@dataclass
class RawRun:
    """The engine's output before summarising."""

    policy: str
    arrivals_s: FloatArray
    service_s: FloatArray
    start_s: FloatArray  # last attempt's start
    finish_s: FloatArray  # inf: never finished (stranded or dead-lettered)
    receives: FloatArray
    dead: int
    retried: int
    billed_s: float
    worker_s: float
    host_billed_s: float
    end_s: float
    series: Series


@dataclass(frozen=True)
class SimResult:
    """Summary metrics of one policy over one workload."""

    policy: str
    jobs: int
    completed: int
    retried: int
    dead_lettered: int
    stranded: int
    cost_usd: float
    cost_per_1000_usd: float
    p50_s: float
    p95_s: float
    p99_s: float
    mean_latency_s: float
    slo_violations: int
    max_backlog: int
    worker_seconds: float
    billed_seconds: float
    peak_workers: int
    lower_bound_usd: float
    startup_bound_usd: float
    end_s: float
    observation: str = ""  # the observation path simulated (the policy's as deployed)

    def as_dict(self) -> dict[str, float | int | str | None]:
        out: dict[str, float | int | str | None] = {}
        for key, value in self.__dict__.items():
            out[key] = None if isinstance(value, float) and not math.isfinite(value) else value
        return out


def latency_quantiles(latency_s: NDArray[np.float64]) -> tuple[float, float, float]:
    """p50/p95/p99 as actual sample values (so an unfinished job's inf is not interpolated)."""
    if latency_s.size == 0:
        return (math.nan, math.nan, math.nan)
    q = np.quantile(latency_s, [0.5, 0.95, 0.99], method="inverted_cdf")
    return (float(q[0]), float(q[1]), float(q[2]))


def summarise(raw: RawRun, cfg: SimConfig, label: str | None = None) -> SimResult:
    """Turn a raw run into the comparison metrics."""
    arrivals = np.asarray(raw.arrivals_s)
    finish = np.asarray(raw.finish_s)
    latency = finish - arrivals
    done = np.isfinite(finish)
    completed = int(done.sum())
    p50, p95, p99 = latency_quantiles(latency)
    if cfg.hosts is not None:
        cost = raw.host_billed_s * cfg.hosts.host_price_per_hour_usd / 3600.0
    else:
        cost = raw.billed_s * cfg.price_per_task_hour_usd / 3600.0
    target = cfg.latency_target_s
    backlog = np.asarray(raw.series.visible) + np.asarray(raw.series.in_flight)
    return SimResult(
        policy=label or raw.policy,
        jobs=len(raw.arrivals_s),
        completed=completed,
        retried=raw.retried,
        dead_lettered=raw.dead,
        stranded=len(raw.arrivals_s) - completed - raw.dead,
        cost_usd=cost,
        cost_per_1000_usd=cost * 1000.0 / completed if completed else math.inf,
        p50_s=p50,
        p95_s=p95,
        p99_s=p99,
        mean_latency_s=float(latency[done].mean()) if completed else math.inf,
        slo_violations=0 if target is None else int((latency > target).sum()),
        max_backlog=int(backlog.max()) if backlog.size else 0,
        worker_seconds=raw.worker_s,
        billed_seconds=raw.host_billed_s if cfg.hosts is not None else raw.billed_s,
        peak_workers=max(raw.series.workers, default=0),
        lower_bound_usd=busy_floor_usd(raw.service_s, cfg),
        startup_bound_usd=startup_bound_usd(raw.arrivals_s, raw.service_s, cfg),
        end_s=raw.end_s,
        observation=OBSERVATION_PATHS.get(raw.policy, ""),
    )


def lower_bound_usd(service_s: FloatArray, cfg: SimConfig) -> float:
    """Clairvoyant busy-time floor: every job's busy seconds at the cheapest price, no waiting."""
    return busy_floor_usd(service_s, cfg)
