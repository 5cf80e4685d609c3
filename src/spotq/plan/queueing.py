"""M/M/c arithmetic (Erlang C) for sizing a worker pool to a latency target."""

from __future__ import annotations

import math
from dataclasses import dataclass


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arriving job waits, for `servers` workers and load λ/μ."""
    if offered_load <= 0:
        return 0.0
    if servers <= offered_load:
        return 1.0
    # Erlang B by its stable recurrence, then C from B.
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    return servers * blocking / (servers - offered_load * (1.0 - blocking))


def mean_wait_s(servers: int, arrivals_per_s: float, service_s: float) -> float:
    """Mean time a job waits in the queue before a worker takes it (inf when overloaded)."""
    load = arrivals_per_s * service_s
    if load <= 0:
        return 0.0
    if servers <= load:
        return math.inf
    return erlang_c(servers, load) * service_s / (servers - load)


@dataclass(frozen=True)
class Sizing:
    """Workers for a rate, the mean time a job spends queued plus served, and if it meets target."""

    workers: int
    latency_s: float
    meets_target: bool


def workers_for_latency(
    arrivals_per_s: float, service_s: float, target_s: float | None, max_extra: int = 10_000
) -> Sizing:
    """The fewest workers whose mean wait plus service time is within `target_s`.

    With no target, the fewest whose mean wait is no longer than one service time.
    """
    load = arrivals_per_s * service_s
    budget_s = target_s if target_s is not None else 2 * service_s
    workers = max(1, math.floor(load) + 1)
    for candidate in range(workers, workers + max_extra):
        latency_s = service_s + mean_wait_s(candidate, arrivals_per_s, service_s)
        if latency_s <= budget_s:
            return Sizing(candidate, latency_s, True)
        if latency_s - service_s < 1e-3 * service_s:
            # Waiting is already negligible: the service time alone misses the target.
            return Sizing(candidate, latency_s, False)
    return Sizing(workers, service_s + mean_wait_s(workers, arrivals_per_s, service_s), False)


def workers_for_batch(jobs: int, service_s: float, target_s: float | None) -> int:
    """Workers to finish `jobs` arriving together within `target_s` (each job to its own worker
    when there is no target or one job already takes longer than the target)."""
    if jobs <= 1:
        return jobs
    if target_s is None:
        return jobs
    per_worker = max(1, math.floor(target_s / service_s))
    return math.ceil(jobs / per_worker)
