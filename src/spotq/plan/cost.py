"""Hourly prices of hosts and of single worker tasks on each capacity option."""

from __future__ import annotations

from spotq.plan.binpack import host_fit
from spotq.plan.credits import credit_usd_per_host_hour
from spotq.plan.limits import fargate_size, lambda_memory_mb, require_feasible
from spotq.plan.options import CapacityOption
from spotq.plan.prices import Prices
from spotq.plan.task import TaskSize

SECONDS_PER_HOUR = 3600.0


def on_demand_host_price_per_hour_usd(instance_type: str, prices: Prices) -> float:
    """The on-demand Linux price of one instance-hour."""
    prices.shape(instance_type)  # a clear error for an unknown type
    return prices.ec2_on_demand_linux_hr[instance_type]


def spot_host_price_per_hour_usd(
    instance_type: str, prices: Prices, spot_discount: float | None = None
) -> float:
    """A spot instance-hour: on-demand less `spot_discount`, or the snapshot's default fraction."""
    on_demand = on_demand_host_price_per_hour_usd(instance_type, prices)
    if spot_discount is None:
        return on_demand * prices.assumptions.ec2_spot_fraction_of_on_demand
    return on_demand * (1.0 - spot_discount)


def fargate_task_price_per_hour_usd(task: TaskSize, prices: Prices) -> float:
    """An on-demand Fargate (Linux x86) task-hour, billed at the smallest valid size holding it."""
    size = fargate_size(task, prices)
    if size is None:
        raise ValueError("task does not fit any Fargate size")
    vcpu, memory_gb = size
    rates = prices.fargate.linux_x86
    return vcpu * rates.vcpu_hr + memory_gb * rates.gb_hr


def lambda_price_per_hour_usd(task: TaskSize, prices: Prices) -> float:
    """One hour of Lambda execution (x86) at the memory the task needs; requests are extra."""
    memory_gb = lambda_memory_mb(task, prices) / 1024
    return memory_gb * SECONDS_PER_HOUR * prices.lambda_.x86_gb_s


def _blend(on_demand_usd: float, spot_usd: float, on_demand_base_share: float) -> float:
    share = min(max(on_demand_base_share, 0.0), 1.0)
    return share * on_demand_usd + (1.0 - share) * spot_usd


def host_price_per_hour_usd(
    option: CapacityOption,
    prices: Prices,
    spot_discount: float | None = None,
    *,
    on_demand_base_share: float = 0.0,
    task: TaskSize | None = None,
) -> float:
    """The price of one host-hour on an EC2-hosted option (spot blended with its on-demand base);
    with `task`, plus the CPU credits a burstable host's tasks spend above its baseline."""
    assert option.instance_type is not None, "only EC2-hosted options have hosts"
    credits = 0.0
    if task is not None:
        tasks_per_host = host_fit(option.instance_type, task, prices).tasks_per_host
        credits = credit_usd_per_host_hour(option.instance_type, prices, task, tasks_per_host)
    on_demand = on_demand_host_price_per_hour_usd(option.instance_type, prices)
    if not option.is_spot:
        return on_demand + credits
    spot = spot_host_price_per_hour_usd(option.instance_type, prices, spot_discount)
    return _blend(on_demand, spot, on_demand_base_share) + credits


def task_price_per_hour_usd(
    option: CapacityOption,
    task: TaskSize,
    prices: Prices,
    spot_discount: float | None = None,
    *,
    on_demand_base_share: float = 0.0,
) -> float:
    """The price of one worker task for one hour on `option`.

    EC2: the host's price divided by the tasks bin-packed onto it. Fargate: vCPU-hours plus
    GB-hours at the smallest valid size; Fargate Spot at `spot_discount` (default: the snapshot's
    assumption). Spot options blend in `on_demand_base_share` of on-demand capacity. Lambda: GB-s
    of execution for an hour (request charges are per job, not per hour). Raises InfeasibleOption
    when the task cannot run on the option.
    """
    require_feasible(option, task, prices)
    if option.kind == "lambda":
        return lambda_price_per_hour_usd(task, prices)
    if option.is_fargate:
        on_demand = fargate_task_price_per_hour_usd(task, prices)
        if not option.is_spot:
            return on_demand
        discount = (
            prices.assumptions.fargate_spot_discount if spot_discount is None else spot_discount
        )
        return _blend(on_demand, on_demand * (1.0 - discount), on_demand_base_share)
    assert option.instance_type is not None
    per_host = host_price_per_hour_usd(
        option, prices, spot_discount, on_demand_base_share=on_demand_base_share, task=task
    )
    return per_host / host_fit(option.instance_type, task, prices).tasks_per_host
