"""From a realtime scenario (rps_per_task, baseline/peak RPS, latency budget) to the realtime
simulator's config, priced like `spotq plan` prices the chosen option."""

from __future__ import annotations

import math
from pathlib import Path

from spotq.errors import ConfigError
from spotq.plan.binpack import host_fit
from spotq.plan.cost import host_price_per_hour_usd, task_price_per_hour_usd
from spotq.plan.options import CapacityOption, parse_option
from spotq.plan.prices import Prices
from spotq.plan.scenario import Scenario, scenario_prices
from spotq.sim.realtime import DAY_S, RealtimeSimConfig
from spotq.sim.scenario import SimulateSection

_DEFAULT_TARGET_MS = 1000.0


def realtime_config(scenario: Scenario, prices_override: Path | None = None) -> RealtimeSimConfig:
    section = scenario.simulate or SimulateSection()
    prices = scenario_prices(scenario, prices_override)
    option = _option(scenario, section, prices)
    workload = scenario.workload
    assert workload.rps_per_task is not None and workload.peak_rps is not None
    parts = dict(scenario.latency_budget_ms or {})
    inference_ms = parts.pop("inference", 1000 / workload.rps_per_task)
    target_s = section.latency_target_s or scenario.latency_target_s
    discount = scenario.spot.discount_for(option, prices)
    base = scenario.spot.on_demand_base
    usd = task_price_per_hour_usd(
        option, scenario.task, prices, discount, on_demand_base_share=base
    )
    startup = section.startup
    startup_s = startup.task_start_s + startup.image_pull_s + startup.model_load_s
    if option.on_ec2:
        assert option.instance_type is not None
        per_host = host_fit(option.instance_type, scenario.task, prices).tasks_per_host
        host_usd = host_price_per_hour_usd(option, prices, discount, on_demand_base_share=base)
        usd = host_usd / max(1, per_host)
        startup_s += startup.capacity_reaction_s + startup.ec2_boot_s + startup.ecs_register_s
    baseline = workload.baseline_rps if workload.baseline_rps is not None else workload.peak_rps
    horizon = section.horizon_s
    return RealtimeSimConfig(
        rps_per_task=workload.rps_per_task,
        baseline_rps=baseline,
        peak_rps=workload.peak_rps,
        fixed_ms=float(sum(parts.values())),
        inference_ms=float(inference_ms),
        target_ms=target_s * 1000 if target_s is not None else _DEFAULT_TARGET_MS,
        startup_s=startup_s,
        min_tasks=1,
        max_tasks=max(section.max_workers, 1),
        usd_per_task_hour=usd,
        duration_s=math.ceil(horizon) if horizon is not None else DAY_S,
        seed=section.seed,
    )


def _option(scenario: Scenario, section: SimulateSection, prices: Prices) -> CapacityOption:
    if section.option is not None:
        return parse_option(section.option, prices)
    for option in scenario.options:
        if option.kind == "lambda" or (scenario.task.gpus and option.kind == "fargate"):
            continue
        return option
    raise ConfigError("simulate.option: the scenario has no option that can run its tasks")
