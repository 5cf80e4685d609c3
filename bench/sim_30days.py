"""30 simulated days, ~1,000,000 jobs: spotq's engine beside the same scenario written in SimPy.

    .venv/bin/python bench/sim_30days.py [--days 30] [--jobs 1000000] [--skip-simpy]

Both run the same arrivals, service times and spotq-default policy (evaluated every 15 s); the
script prints both metric sets, each metric's relative difference, and the wall-time ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sim_simpy import run_simpy
from spotq.scaling import ScalingPolicy, make_policy
from spotq.sim import kernel
from spotq.sim.config import SimConfig
from spotq.sim.result import latency_quantiles
from spotq.sim.run import simulate_raw
from spotq.sim.workload import DAY_S, Workload, diurnal, service_times

PRICE_PER_TASK_HOUR_USD = 0.01234  # 1 vCPU / 2 GB Fargate Spot, about
T = TypeVar("T")
TICK_S = 15.0
STARTUP_S = 60.0
MAX_WORKERS = 30


def workload(days: float, jobs: int, seed: int) -> Workload:
    """Diurnal arrivals (peak 2× mean at 15:00) and lognormal 10 s jobs (cv 0.5)."""
    rng = np.random.default_rng(seed)
    arrivals = diurnal(rng, jobs / days, days * DAY_S, 2.0, 15.0)
    return Workload(arrivals, service_times(rng, arrivals.size, 10.0, 0.5))


def policy(mode: str) -> ScalingPolicy:
    """`spotq-default`, or `fixed-N` (N always-on workers: the engine's no-tick fast path)."""
    if mode.startswith("fixed-"):
        return make_policy("fixed", workers=int(mode.removeprefix("fixed-")))
    return make_policy(mode, max_workers=MAX_WORKERS, startup_s=STARTUP_S)


def metrics(
    finish_s: np.ndarray, arrivals_s: np.ndarray, billed_s: float, worker_s: float
) -> dict[str, float]:
    latency = finish_s - arrivals_s
    p50, p95, p99 = latency_quantiles(latency)
    return {
        "completed": float(np.isfinite(finish_s).sum()),
        "cost_usd": billed_s * PRICE_PER_TASK_HOUR_USD / 3600.0,
        "worker_hours": worker_s / 3600.0,
        "p50_s": p50,
        "p95_s": p95,
        "p99_s": p99,
        "mean_latency_s": float(latency[np.isfinite(latency)].mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tick", type=float, default=TICK_S, help="policy tick, seconds")
    parser.add_argument("--skip-simpy", action="store_true")
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs of each simulator per policy (medians shown)"
    )
    parser.add_argument(
        "--modes", nargs="+", default=["spotq-default", "fixed-9"], help="policies to compare"
    )
    args = parser.parse_args()

    wl = workload(args.days, args.jobs, args.seed)
    horizon = args.days * DAY_S
    load = wl.service_s.sum() / horizon
    print(f"{wl.jobs:,} jobs over {args.days:g} days; load {load:.2f} workers; tick {args.tick:g}s")
    cfg = SimConfig(
        price_per_task_hour_usd=PRICE_PER_TASK_HOUR_USD,
        evaluation_interval_s=args.tick,
        horizon_s=horizon,
        startup_s=STARTUP_S,
        max_workers=MAX_WORKERS,
    )
    t0 = time.perf_counter()
    kernel.warm_up()  # numba: compile once, or load the cached machine code
    print(f"kernel warm-up (compiled={kernel.COMPILED}): {time.perf_counter() - t0:.2f} s")
    for mode in args.modes:
        print(f"\n== {mode} ==")
        compare(wl, cfg, mode, args)


def compare(wl: Workload, cfg: SimConfig, mode: str, args: argparse.Namespace) -> None:
    """Run one policy through both simulators; print both metric sets and the speed-up."""
    raw, spotq_s, spotq_cpu = _timed(lambda: simulate_raw(wl, policy(mode), cfg), args.repeat)
    ours = metrics(np.asarray(raw.finish_s), wl.arrivals_s, raw.billed_s, raw.worker_s)
    ours["peak_workers"] = max(raw.series.workers)
    ours["max_backlog"] = max(
        v + f for v, f in zip(raw.series.visible, raw.series.in_flight, strict=True)
    )
    bound = float(wl.service_s.sum()) * PRICE_PER_TASK_HOUR_USD / 3600.0
    print(f"spotq engine: {spotq_s:.2f} s wall, {spotq_cpu:.2f} s CPU (median of {args.repeat})")
    print(f"lower bound ${bound:,.2f}: spotq's run costs {ours['cost_usd'] / bound:.2f}x that")
    if args.skip_simpy:
        _print({"spotq": ours})
        return
    peer, simpy_s, simpy_cpu = _timed(
        lambda: run_simpy(
            wl.arrivals_s,
            wl.service_s,
            policy(mode),
            tick_s=args.tick,
            startup_s=STARTUP_S,
            horizon_s=cfg.horizon_s or 0.0,
        ),
        args.repeat,
    )
    theirs = metrics(peer.finish_s, wl.arrivals_s, peer.billed_s, peer.worker_s)
    theirs["peak_workers"] = peer.peak_workers
    theirs["max_backlog"] = peer.max_backlog
    print(f"SimPy model:  {simpy_s:.2f} s wall, {simpy_cpu:.2f} s CPU (median of {args.repeat})")
    _print({"spotq": ours, "simpy": theirs})
    # CPU time is what the two cost; wall time on a shared machine also counts other processes.
    print(f"speed-up: {simpy_cpu / spotq_cpu:.1f}x CPU time, {simpy_s / spotq_s:.1f}x wall time")


def _timed(run: Callable[[], T], repeat: int) -> tuple[T, float, float]:
    """The last result of `repeat` runs, with the median wall and CPU seconds of one run (a fresh
    policy each time: every run starts from the same state)."""
    walls, cpus = [], []
    for _ in range(max(1, repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return result, statistics.median(walls), statistics.median(cpus)


def _print(columns: dict[str, dict[str, float]]) -> None:
    names = list(columns)
    header = f"{'metric':16s}" + "".join(f"{n:>16s}" for n in names)
    print(header + ("   rel. diff" if len(names) == 2 else ""))
    for key in columns[names[0]]:
        values = [columns[n][key] for n in names]
        line = f"{key:16s}" + "".join(f"{v:16,.4f}" for v in values)
        if len(values) == 2:
            diff = abs(values[0] - values[1]) / max(abs(values[1]), 1e-12)
            line += f"   {diff:9.4%}"
        print(line)


if __name__ == "__main__":
    main()
