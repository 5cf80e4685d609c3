"""Fixed-workers mode: N always-on workers need no policy ticks, so every job is dispatched in one
kernel call and the per-tick series is computed afterwards, vectorised, from the start and finish
times (FIFO with no retries: start times are sorted)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from spotq.sim import kernel as k
from spotq.sim.config import SimConfig
from spotq.sim.result import RawRun, Series
from spotq.sim.workload import Workload


def fixed_mode_applies(workers: int, cfg: SimConfig) -> bool:
    """The fast path is exact when nothing but jobs changes the fleet."""
    return workers >= 1 and cfg.spot_interruptions_per_hour == 0 and cfg.hosts is None


def run_fixed(
    workload: Workload, workers: int, cfg: SimConfig, name: str = "fixed"
) -> RawRun | None:
    """Simulate `workers` always-on workers (launched at 0, ready after start-up); None when
    the backlog outlasts the drain limit (the tick engine then cuts the run off there)."""
    n = workload.jobs
    jobs = np.zeros((5, n))
    jobs[k.ARR], jobs[k.SVC], jobs[k.FINISH] = workload.arrivals_s, workload.service_s, math.inf
    fleet = np.zeros((workers, 3))
    fleet[:, 0], fleet[:, 2] = cfg.startup_s, -1.0
    ints = np.zeros(8, dtype=np.int64)
    ints[k.NW], ints[k.MAX_RECEIVES] = workers, cfg.max_receives
    k.dispatch(math.inf, jobs, fleet, np.zeros((1, 2)), ints)
    dt = cfg.evaluation_interval_s
    horizon = cfg.horizon_s if cfg.horizon_s is not None else workload.span_s
    last = float(jobs[k.FINISH].max()) if n else 0.0
    end = dt * math.ceil(max(horizon, last, cfg.startup_s) / dt - 1e-12)
    if end > horizon + cfg.drain_limit_s:
        return None
    ran = end
    billed = workers * max(math.ceil(ran - 1e-9), cfg.min_billed_s)
    return RawRun(
        policy=name,
        arrivals_s=jobs[k.ARR],
        service_s=jobs[k.SVC],
        start_s=jobs[k.START],
        finish_s=jobs[k.FINISH],
        receives=jobs[k.RECEIVES],
        dead=0,
        retried=0,
        billed_s=float(billed),
        worker_s=workers * ran,
        host_billed_s=0.0,
        end_s=end,
        series=_series(jobs, workers, cfg, end),
    )


def _series(jobs: NDArray[np.float64], workers: int, cfg: SimConfig, end: float) -> Series:
    dt = cfg.evaluation_interval_s
    ticks = np.arange(0.0, end + dt / 2, dt)
    arrived = np.searchsorted(jobs[k.ARR], ticks, side="right")
    started = np.searchsorted(jobs[k.START], ticks, side="left")  # dispatched: start < t
    finished = np.searchsorted(np.sort(jobs[k.FINISH]), ticks, side="right")
    busy = started - finished
    cost = workers * ticks * cfg.price_per_task_hour_usd / 3600.0
    return Series(
        t_s=ticks.tolist(),
        visible=(arrived - started).tolist(),
        in_flight=busy.tolist(),
        workers=[workers] * ticks.size,
        busy=busy.tolist(),
        cost_usd=cost.tolist(),
    )
