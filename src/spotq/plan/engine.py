"""`spotq plan`'s arithmetic: per capacity option, tasks, hosts, monthly cost and latency."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from spotq.plan.binpack import host_fit, hosts_for_tasks
from spotq.plan.cost import (
    SECONDS_PER_HOUR,
    host_price_per_hour_usd,
    task_price_per_hour_usd,
)
from spotq.plan.credits import credit_usd_per_host_hour
from spotq.plan.demand import Demand, batch_demand
from spotq.plan.fixed import fixed_costs_usd_per_month
from spotq.plan.limits import exclusion_reason, fargate_size
from spotq.plan.options import CapacityOption
from spotq.plan.prices import Prices
from spotq.plan.queueing import workers_for_batch, workers_for_latency
from spotq.plan.realtime import RealtimeCapacity, realtime_capacity
from spotq.plan.scaling_costs import SCALING_LINES
from spotq.plan.scenario import Scenario


@dataclass(frozen=True)
class OptionPlan:
    """One capacity option's figures; `excluded` says why the option cannot run the task."""

    option: str
    excluded: str | None = None
    job_s: float | None = None
    tasks_per_host: int | None = None
    limited_by: str | None = None
    tasks_at_peak: int | None = None
    hosts_at_peak: int | None = None
    hosts_at_baseline: int | None = None
    gpus_per_host: int | None = None
    task_usd_per_hour: float | None = None
    host_usd_per_hour: float | None = None
    compute_usd_per_month: float | None = None
    fixed_usd_per_month: float | None = None
    total_usd_per_month: float | None = None
    usd_per_1k_jobs: float | None = None
    latency_s: float | None = None
    latency_ok: bool | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """The whole comparison for one scenario."""

    scenario: str
    kind: Literal["batch", "realtime"]
    snapshot_date: str
    region: str
    hours_per_month: float
    demand: str
    jobs_per_month: float
    latency_target_s: float | None
    fixed_usd_per_month: dict[str, float]
    options: list[OptionPlan]
    realtime: RealtimeCapacity | None = None
    assumptions: list[str] = field(default_factory=list)

    @property
    def fixed_total_usd_per_month(self) -> float:
        return sum(self.fixed_usd_per_month.values())

    def feasible(self) -> list[OptionPlan]:
        return [row for row in self.options if row.excluded is None]


@dataclass(frozen=True)
class _Pricing:
    task_usd_per_hour: float
    host_usd_per_hour: float | None
    tasks_per_host: int | None
    limited_by: str | None
    notes: tuple[str, ...]


def _spot_words(option: CapacityOption, discount: float | None, prices: Prices) -> str:
    if discount is not None:
        return f"spot at {discount:.0%} off on-demand (scenario)"
    if option.is_fargate:
        return f"spot at {prices.assumptions.fargate_spot_discount:.0%} off (snapshot default)"
    fraction = prices.assumptions.ec2_spot_fraction_of_on_demand
    return f"spot at {fraction:.0%} of on-demand (snapshot default)"


def _pricing(option: CapacityOption, scenario: Scenario, prices: Prices) -> _Pricing:
    discount = scenario.spot.discount_for(option, prices) if option.is_spot else None
    base = scenario.spot.on_demand_base if option.is_spot else 0.0
    task = scenario.task
    per_task = task_price_per_hour_usd(option, task, prices, discount, on_demand_base_share=base)
    notes: list[str] = []
    if option.is_spot:
        notes.append(f"{_spot_words(option, discount, prices)}, on-demand base {base:.0%}")
    if option.is_fargate:
        size = fargate_size(task, prices)
        assert size is not None
        notes.append(f"billed as {size[0]:g} vCPU / {size[1]:g} GB")
    if not option.on_ec2 or option.instance_type is None:
        return _Pricing(per_task, None, None, None, tuple(notes))
    fit = host_fit(option.instance_type, task, prices)
    per_host = host_price_per_hour_usd(
        option, prices, discount, on_demand_base_share=base, task=task
    )
    notes.append(f"{fit.tasks_per_host} task(s)/host, bound by {fit.limited_by}")
    credits = credit_usd_per_host_hour(option.instance_type, prices, task, fit.tasks_per_host)
    if credits > 0:
        notes.append(f"burstable host: CPU credits above its baseline ${credits:.4f}/host-hour")
    return _Pricing(per_task, per_host, fit.tasks_per_host, fit.limited_by, tuple(notes))


def _total(compute: float, fixed: float, jobs: float) -> tuple[float, float | None]:
    total = compute + fixed
    return total, (total / jobs * 1000 if jobs > 0 else None)


def _batch_peak(
    option: CapacityOption, demand: Demand, job_s: float, target_s: float | None
) -> tuple[int, float, bool]:
    """Tasks at the peak, the expected latency there, and whether it meets the target."""
    if option.kind == "lambda":
        # Lambda starts a concurrent execution per job: no queueing, only the job itself.
        tasks = max(1, math.ceil(demand.peak_jobs_per_s * job_s))
        return tasks, job_s, target_s is None or job_s <= target_s
    sizing = workers_for_latency(demand.peak_jobs_per_s, job_s, target_s)
    together = demand.jobs_arriving_together
    tasks = max(sizing.workers, workers_for_batch(together, job_s, target_s))
    latency_s = max(sizing.latency_s, math.ceil(together / tasks) * job_s)
    return tasks, latency_s, target_s is None or latency_s <= target_s


def _batch_option(
    option: CapacityOption, scenario: Scenario, prices: Prices, demand: Demand, fixed_usd: float
) -> OptionPlan:
    job_s = demand.job_s(scenario.workload, option)
    if job_s is None:
        return OptionPlan(option.text, excluded="no job_s for this option")
    reason = exclusion_reason(option, scenario.task, prices, job_s)
    if reason is not None:
        return OptionPlan(option.text, excluded=reason, job_s=job_s)
    pricing = _pricing(option, scenario, prices)
    tasks, latency_s, latency_ok = _batch_peak(option, demand, job_s, scenario.latency_target_s)
    if option.kind != "lambda" and scenario.workload.batch_wait_s() > 0:
        # a job measured per batch size waits for its whole handler call, not just its share
        latency_s += scenario.workload.batch_wait_s()
        target_s = scenario.latency_target_s
        latency_ok = target_s is None or latency_s <= target_s
    busy_hours = demand.jobs_per_month * job_s / SECONDS_PER_HOUR
    compute = busy_hours * pricing.task_usd_per_hour
    if option.kind == "lambda":
        compute += demand.jobs_per_month * prices.lambda_.per_million_requests / 1e6
    total, per_1k = _total(compute, fixed_usd, demand.jobs_per_month)
    hosts = None
    if pricing.tasks_per_host is not None:
        hosts = hosts_for_tasks(tasks, pricing.tasks_per_host)
    return OptionPlan(
        option.text,
        job_s=job_s,
        tasks_per_host=pricing.tasks_per_host,
        limited_by=pricing.limited_by,
        tasks_at_peak=tasks,
        hosts_at_peak=hosts,
        task_usd_per_hour=pricing.task_usd_per_hour,
        host_usd_per_hour=pricing.host_usd_per_hour,
        compute_usd_per_month=compute,
        fixed_usd_per_month=fixed_usd,
        total_usd_per_month=total,
        usd_per_1k_jobs=per_1k,
        latency_s=latency_s,
        latency_ok=latency_ok,
        notes=pricing.notes,
    )


def _realtime_compute(
    option: CapacityOption,
    pricing: _Pricing,
    capacity: RealtimeCapacity,
    prices: Prices,
    job_s: float | None,
) -> tuple[float, int | None, int | None]:
    """Monthly compute at the baseline around the clock, and hosts at the baseline and peak."""
    hours = prices.hours_per_month
    if option.kind == "lambda":
        assert job_s is not None
        requests = capacity.baseline_rps * SECONDS_PER_HOUR * hours
        busy_hours = requests * job_s / SECONDS_PER_HOUR
        return (
            busy_hours * pricing.task_usd_per_hour
            + (requests * prices.lambda_.per_million_requests / 1e6),
            None,
            None,
        )
    if pricing.tasks_per_host is None or pricing.host_usd_per_hour is None:
        return capacity.baseline_tasks * pricing.task_usd_per_hour * hours, None, None
    # Hosts are billed whole: a part-filled host costs as much as a full one.
    baseline_hosts = hosts_for_tasks(capacity.baseline_tasks, pricing.tasks_per_host)
    peak_hosts = hosts_for_tasks(capacity.peak_tasks, pricing.tasks_per_host)
    return baseline_hosts * pricing.host_usd_per_hour * hours, baseline_hosts, peak_hosts


def _realtime_option(
    option: CapacityOption,
    scenario: Scenario,
    prices: Prices,
    capacity: RealtimeCapacity,
    fixed_usd: float,
) -> OptionPlan:
    job_s = scenario.workload.job_s_for(option)
    if option.kind == "lambda" and job_s is None and scenario.task.gpus == 0:
        return OptionPlan(option.text, excluded="pricing Lambda needs workload.job_s per request")
    reason = exclusion_reason(option, scenario.task, prices, job_s)
    if reason is not None:
        return OptionPlan(option.text, excluded=reason, job_s=job_s)
    pricing = _pricing(option, scenario, prices)
    compute, baseline_hosts, peak_hosts = _realtime_compute(
        option, pricing, capacity, prices, job_s
    )
    gpus = prices.shape(option.instance_type).gpus if option.instance_type else None
    requests = capacity.baseline_rps * SECONDS_PER_HOUR * prices.hours_per_month
    total, per_1k = _total(compute, fixed_usd, requests)
    budget = capacity.budget
    return OptionPlan(
        option.text,
        job_s=job_s,
        tasks_per_host=pricing.tasks_per_host,
        limited_by=pricing.limited_by,
        tasks_at_peak=capacity.peak_tasks,
        hosts_at_peak=peak_hosts,
        hosts_at_baseline=baseline_hosts,
        gpus_per_host=gpus,
        task_usd_per_hour=pricing.task_usd_per_hour,
        host_usd_per_hour=pricing.host_usd_per_hour,
        compute_usd_per_month=compute,
        fixed_usd_per_month=fixed_usd,
        total_usd_per_month=total,
        usd_per_1k_jobs=per_1k,
        latency_s=None if budget is None else budget.total_ms / 1000,
        latency_ok=None if budget is None else budget.holds,
        notes=pricing.notes,
    )


def _assumptions(scenario: Scenario, prices: Prices, rows: list[OptionPlan]) -> list[str]:
    notes = [
        f"AWS list prices, {prices.region}, snapshot {prices.snapshot_date}; "
        f"{prices.hours_per_month:g} hours a month.",
    ]
    if scenario.workload.is_realtime:
        notes.append(
            "Realtime compute runs the baseline tasks around the clock; hosts are billed whole. "
            "Cost per 1,000 jobs counts requests at the baseline rate."
        )
    else:
        notes.append(
            "Batch compute counts busy task time only (ideal scale to zero, full hosts); "
            "`spotq simulate` adds start-up, idle time and part-filled hosts."
        )
        notes.append(
            "Tasks at the peak: fewest workers whose M/M/c (Erlang C) mean wait plus job time "
            "meets the latency target at the peak arrival rate; start-up time not included."
        )
    if (
        any(o.kind == "fargate-spot" for o in scenario.options)
        and not scenario.spot.fargate_discount
    ):
        notes.append(
            f"Fargate Spot at {prices.assumptions.fargate_spot_discount:.0%} off "
            "(AWS: 'up to 70%'; snapshots showed 66-69%)."
        )
    ec2_spot = [o for o in scenario.options if o.on_ec2 and o.is_spot]
    if any(scenario.spot.discount_for(o, prices) is None for o in ec2_spot):
        notes.append(
            f"EC2 Spot without a stated price at "
            f"{prices.assumptions.ec2_spot_fraction_of_on_demand:.0%} of on-demand."
        )
    if any(row.option == "lambda" and row.excluded is None for row in rows):
        notes.append("Lambda: x86, memory sized for the task's vCPUs; free tier not deducted.")
    return notes


def plan_scenario(scenario: Scenario, prices: Prices) -> Plan:
    """Compare every option the scenario lists."""
    if scenario.workload.is_realtime:
        capacity = realtime_capacity(scenario)
        jobs = capacity.baseline_rps * SECONDS_PER_HOUR * prices.hours_per_month
        fixed = fixed_costs_usd_per_month(scenario.fixed, prices, jobs, uses_sqs=False)
        fixed_total = sum(fixed.values())
        rows = [
            _realtime_option(o, scenario, prices, capacity, fixed_total) for o in scenario.options
        ]
        demand_text = f"{capacity.baseline_rps:g} RPS baseline, {capacity.peak_rps:g} RPS peak"
    else:
        capacity = None
        demand = batch_demand(scenario.workload, prices)
        jobs = demand.jobs_per_month
        fixed = fixed_costs_usd_per_month(scenario.fixed, prices, jobs)
        fixed_total = sum(fixed.values())
        # Lambda runs no worker fleet: no scaler, scaling alarms, worker metrics or dashboard.
        unscaled = fixed_total - sum(fixed.get(k, 0.0) for k in SCALING_LINES)
        rows = [
            _batch_option(
                o, scenario, prices, demand, unscaled if o.kind == "lambda" else fixed_total
            )
            for o in scenario.options
        ]
        demand_text = demand.source
    return Plan(
        scenario=scenario.name,
        kind="realtime" if capacity is not None else "batch",
        snapshot_date=prices.snapshot_date,
        region=prices.region,
        hours_per_month=prices.hours_per_month,
        demand=demand_text,
        jobs_per_month=jobs,
        latency_target_s=scenario.latency_target_s,
        fixed_usd_per_month=fixed,
        options=rows,
        realtime=capacity,
        assumptions=_assumptions(scenario, prices, rows),
    )
