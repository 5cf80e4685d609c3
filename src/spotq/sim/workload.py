"""Arrivals and service times as two sorted numpy arrays: generators (seeded) and trace CSVs."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

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
    rng: np.random.Generator, jobs_per_day: float, horizon_s: float, peak_to_trough: float
) -> FloatArray:
    """Poisson arrivals whose rate follows a day: trough at midnight, peak at noon."""
    amplitude = (peak_to_trough - 1.0) / (peak_to_trough + 1.0)
    candidates = poisson(rng, jobs_per_day * (1.0 + amplitude), horizon_s)
    rate = 1.0 - amplitude * np.cos(2.0 * np.pi * candidates / DAY_S)
    keep = rng.uniform(0.0, 1.0 + amplitude, candidates.size) < rate
    return candidates[keep]


def bursty(
    rng: np.random.Generator,
    jobs_per_day: float,
    horizon_s: float,
    burst_size: int,
    burst_spread_s: float,
    background_fraction: float,
) -> FloatArray:
    """A Poisson background plus bursts of `burst_size` jobs landing within `burst_spread_s`."""
    background = poisson(rng, jobs_per_day * background_fraction, horizon_s)
    bursts_per_day = jobs_per_day * (1.0 - background_fraction) / burst_size
    starts = poisson(rng, bursts_per_day, horizon_s)
    offsets = rng.uniform(0.0, burst_spread_s, (starts.size, burst_size))
    burst_jobs = (starts[:, None] + offsets).ravel()
    merged = np.concatenate([background, burst_jobs[burst_jobs < horizon_s]])
    return np.sort(merged)


def load_trace(path: Path) -> tuple[FloatArray, FloatArray | None]:
    """Read `timestamp[,duration_s]` rows (header optional; seconds or ISO 8601), from time 0."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"trace {path}: cannot read ({exc.strerror})") from None
    rows = [row for row in csv.reader(text.splitlines()) if row and row[0].strip()]
    if rows and not _is_time(rows[0][0]):
        rows = rows[1:]  # header
    if not rows:
        raise ConfigError(f"trace {path}: no rows; expected 'timestamp[,duration_s]' lines")
    times = np.empty(len(rows))
    durations = np.empty(len(rows))
    has_durations = all(len(row) > 1 and row[1].strip() for row in rows)
    for i, row in enumerate(rows):
        times[i] = _parse_time(row[0], path, i)
        if has_durations:
            durations[i] = _parse_duration(row[1], path, i)
    order = np.argsort(times, kind="stable")
    times = times[order] - times[order][0]
    return times, (durations[order] if has_durations else None)


def _is_time(cell: str) -> bool:
    try:
        _parse_time(cell, Path(), 0)
    except ConfigError:
        return False
    return True


def _parse_time(cell: str, path: Path, row: int) -> float:
    cell = cell.strip()
    try:
        return float(cell)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(cell.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ConfigError(
            f"trace {path} row {row + 1}: expected a timestamp (seconds or ISO 8601), got {cell!r}"
        ) from None


def _parse_duration(cell: str, path: Path, row: int) -> float:
    try:
        value = float(cell)
    except ValueError:
        value = -1.0
    if not value > 0 or not math.isfinite(value):
        raise ConfigError(f"trace {path} row {row + 1}: expected duration_s > 0, got {cell!r}")
    return value
