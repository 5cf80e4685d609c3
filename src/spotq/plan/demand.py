"""What a scenario's workload asks for: jobs a month, mean and peak arrival rates, job times."""

from __future__ import annotations

from dataclasses import dataclass

from spotq.plan.options import CapacityOption
from spotq.plan.prices import Prices
from spotq.plan.scenario import Workload
from spotq.plan.trace import read_trace_csv

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class Demand:
    """Batch demand: rates in jobs per second, and the biggest group arriving at once."""

    jobs_per_month: float
    mean_jobs_per_s: float
    peak_jobs_per_s: float
    jobs_arriving_together: int
    trace_mean_job_s: float | None
    source: str

    def job_s(self, workload: Workload, option: CapacityOption) -> float | None:
        """The scenario's seconds per job on `option`, else the trace's mean duration."""
        stated = workload.job_s_for(option)
        return stated if stated is not None else self.trace_mean_job_s


def batch_demand(workload: Workload, prices: Prices) -> Demand:
    """Demand of a batch workload (jobs_per_day, an arrival profile or a trace)."""
    days_per_month = prices.hours_per_month / 24
    if workload.trace_csv is not None:
        trace = read_trace_csv(workload.trace_csv)
        return Demand(
            jobs_per_month=trace.jobs_per_day() * days_per_month,
            mean_jobs_per_s=trace.mean_jobs_per_s(),
            peak_jobs_per_s=trace.peak_jobs_per_s(),
            jobs_arriving_together=1,
            trace_mean_job_s=trace.mean_duration_s(),
            source=f"trace {workload.trace_csv.name}: {trace.jobs} jobs over {trace.span_s:,.0f} s",
        )
    if workload.arrival is not None:
        arrival = workload.arrival
        return Demand(
            jobs_per_month=arrival.jobs_per_day * days_per_month,
            mean_jobs_per_s=arrival.mean_jobs_per_s(),
            peak_jobs_per_s=arrival.peak_jobs_per_s(),
            jobs_arriving_together=arrival.jobs_arriving_together(),
            trace_mean_job_s=None,
            source=f"{arrival.kind} arrivals, {arrival.jobs_per_day:g} jobs/day",
        )
    per_day = workload.jobs_per_day or 0.0
    return Demand(
        jobs_per_month=per_day * days_per_month,
        mean_jobs_per_s=per_day / SECONDS_PER_DAY,
        peak_jobs_per_s=per_day / SECONDS_PER_DAY,
        jobs_arriving_together=1,
        trace_mean_job_s=None,
        source=f"{per_day:g} jobs/day, Poisson",
    )
