"""Arrivals and service times as two numpy arrays, and seeded arrival generators.

The generators follow the meanings of spotq.plan.arrivals.ArrivalSpec (docs/scenarios.md), so
the planner and the simulator read a profile alike; `jobs_per_day` is always the mean total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from spotq.errors import ConfigError

DAY_S = 86_400.0
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Workload:
    """Job i arrives at arrivals_s[i] (sorted, from 0) and takes service_s[i] seconds to process."""

    arrivals_s: FloatArray
    service_s: FloatArray

    def __post_init__(self) -> None:
        if self.arrivals_s.shape != self.service_s.shape:
            raise ConfigError("workload: arrivals and service times differ in length")

    @property
    def jobs(self) -> int:
        return int(self.arrivals_s.size)

    @property
    def span_s(self) -> float:
        return float(self.arrivals_s[-1]) if self.jobs else 0.0


def service_times(rng: np.random.Generator, n: int, mean_s: float, cv: float = 0.0) -> FloatArray:
    """Per-job service times: constant when cv is 0, else lognormal with that mean and spread."""
    if mean_s <= 0:
        raise ConfigError(f"service time: expected seconds per job > 0, got {mean_s}")
    if cv <= 0:
        return np.full(n, float(mean_s))
    sigma2 = math.log1p(cv * cv)
    mu = math.log(mean_s) - sigma2 / 2
    return rng.lognormal(mu, math.sqrt(sigma2), n)


def poisson(rng: np.random.Generator, jobs_per_day: float, horizon_s: float) -> FloatArray:
    """Homogeneous Poisson arrivals over [0, horizon_s)."""
    n = int(rng.poisson(jobs_per_day * horizon_s / DAY_S))
    return np.sort(rng.uniform(0.0, horizon_s, n))


def diurnal(
    rng: np.random.Generator,
    jobs_per_day: float,
    horizon_s: float,
    peak_to_mean: float,
    peak_hour_utc: float,
) -> FloatArray:
    """rate(t) = mean × (1 + (peak_to_mean − 1) × cos(2π (hour − peak_hour_utc) / 24))."""
    amplitude = peak_to_mean - 1.0
    candidates = poisson(rng, jobs_per_day * peak_to_mean, horizon_s)
    hours = candidates / 3600.0
    rate = 1.0 + amplitude * np.cos(2.0 * np.pi * (hours - peak_hour_utc) / 24.0)
    keep = rng.uniform(0.0, peak_to_mean, candidates.size) < rate
    return candidates[keep]


def bursty(
    rng: np.random.Generator,
    jobs_per_day: float,
    horizon_s: float,
    bursts_per_day: float,
    burst_jobs: int,
    burst_duration_s: float,
) -> FloatArray:
    """Poisson-timed bursts of `burst_jobs` jobs spread evenly over `burst_duration_s`, plus a
    Poisson background carrying the rest of `jobs_per_day`."""
    background = poisson(rng, max(jobs_per_day - bursts_per_day * burst_jobs, 0.0), horizon_s)
    starts = poisson(rng, bursts_per_day, horizon_s)
    offsets = np.arange(burst_jobs) * (burst_duration_s / burst_jobs)
    burst_times = (starts[:, None] + offsets[None, :]).ravel()
    merged = np.concatenate([background, burst_times[burst_times < horizon_s]])
    return np.sort(merged)


def sparse(
    rng: np.random.Generator,
    jobs_per_day: float,
    horizon_s: float,
    cluster_jobs: int,
    cluster_spread_s: float,
) -> FloatArray:
    """Poisson-timed clusters of `cluster_jobs` jobs landing within `cluster_spread_s`."""
    starts = poisson(rng, jobs_per_day / cluster_jobs, horizon_s)
    offsets = rng.uniform(0.0, cluster_spread_s, (starts.size, cluster_jobs))
    times = (starts[:, None] + offsets).ravel()
    return np.sort(times[times < horizon_s])
