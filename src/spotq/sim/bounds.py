"""Lower bounds on what any scaling policy pays for a workload (defined in docs/simulation.md).

- busy-time floor: every job's service seconds at the cheapest price, as if workers existed only
  while they ran a job;
- start-up-aware bound: what a scheduler that knows every arrival in advance still pays. It can
  start a worker `startup_s` before work arrives so no job waits, but that start-up is billed;
  across an idle gap it either keeps a worker warm (pays the gap) or stops and later restarts it
  (pays a start-up), whichever is less; and a started task is billed at least `min_billed_s`.
  Only one start per stretch of work is charged (concurrent work might need more), so it is
  still a lower bound.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from spotq.sim.config import SimConfig

FloatArray = NDArray[np.float64]


def busy_floor_usd(service_s: FloatArray, cfg: SimConfig) -> float:
    return float(np.sum(service_s)) * cfg.lower_bound_price / 3600.0


def startup_bound_usd(arrivals_s: FloatArray, service_s: FloatArray, cfg: SimConfig) -> float:
    n = len(arrivals_s)
    if n == 0:
        return 0.0
    startup_s = cfg.startup_s + (0.0 if cfg.hosts is None else cfg.hosts.host_delay_s)
    order = np.argsort(arrivals_s, kind="stable")
    start, service = np.asarray(arrivals_s)[order], np.asarray(service_s)[order]
    reach = np.maximum.accumulate(start + service)  # the union of [arrival, arrival + service]
    new_period = np.ones(n, dtype=bool)
    new_period[1:] = start[1:] > reach[:-1]
    firsts = np.flatnonzero(new_period)
    period_end = reach[np.r_[firsts[1:] - 1, n - 1]]
    gaps = start[firsts[1:]] - period_end[:-1]
    restart = gaps >= startup_s  # cheaper to stop and start again than to keep one warm
    chain_of_period = np.cumsum(np.r_[True, restart]) - 1
    chain_of_job = chain_of_period[np.cumsum(new_period) - 1]
    chains = int(chain_of_period[-1]) + 1
    cost_s = np.bincount(chain_of_job, weights=service, minlength=chains).astype(np.float64)
    cost_s += np.bincount(chain_of_period[1:], weights=np.where(restart, 0.0, gaps),
                          minlength=chains)  # fmt: skip
    cost_s += startup_s
    billed_s = np.maximum(cost_s, cfg.min_billed_s)
    return float(billed_s.sum()) * cfg.lower_bound_price / 3600.0
