"""The machine's busy CPU time, from /proc/stat: what a timed window cost every process on the
machine (the benchmark's producer, workers, brokers and servers, and anything else running).

Standard library only: the peers' venv imports it too."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import NamedTuple


class Timed(NamedTuple):
    """One timed run: jobs per second (wall) and the machine's busy CPU per job."""

    jobs_per_s: float
    cpu_ms_per_job: float


def timed(jobs: int, work: Callable[[], None]) -> Timed:
    """Run `work` (which finishes `jobs` jobs) and say what it took in wall and CPU time."""
    cpu_started_s, started_s = busy_cpu_s(), time.perf_counter()
    work()
    elapsed_s, cpu_s = time.perf_counter() - started_s, busy_cpu_s() - cpu_started_s
    return Timed(jobs / elapsed_s, 1000 * cpu_s / jobs)


def busy_cpu_s() -> float:
    """CPU-seconds the machine has spent busy since boot (user, nice, system, irq, softirq; not
    idle, iowait or steal, the time another virtual machine had the core)."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
