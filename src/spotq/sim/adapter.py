"""From a scenario file to what the engine runs: a workload, a SimConfig, and the policies."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spotq.errors import ConfigError
from spotq.plan.arrivals import ArrivalSpec
from spotq.plan.binpack import host_fit
from spotq.plan.cost import host_price_per_hour_usd, task_price_per_hour_usd
from spotq.plan.options import CapacityOption, parse_option
from spotq.plan.prices import Prices
from spotq.plan.scenario import Scenario, scenario_prices
from spotq.plan.simulate_section import PolicySpec, SimulateSection
from spotq.plan.trace import read_trace_csv
from spotq.scaling.base import ScalingPolicy
from spotq.scaling.params import spotq_default_params
from spotq.scaling.registry import make_policy
from spotq.scaling.spotq_default import SpotqDefaultPolicy
from spotq.sim.config import HostConfig, SimConfig
from spotq.sim.workload import DAY_S, Workload, bursty, diurnal, poisson, service_times, sparse


@dataclass(frozen=True)
class SimPlan:
    """One scenario, ready to simulate: the workload, the engine config, the policies to compare."""

    scenario_name: str
    option: CapacityOption
    workload: Workload
    config: SimConfig
    policies: tuple[PolicySpec, ...]
    mean_job_s: float
    snapshot_date: str
    batch_size: int = 1  # the app's batch_size: the target backlog per worker, as synth sets it

    def policy(self, spec: PolicySpec) -> ScalingPolicy:
        """A fresh policy object (policies keep state, so one per run)."""
        return make_policy(spec.name, **policy_params(spec, self))


def plan_simulation(scenario: Scenario, prices_override: Path | None = None) -> SimPlan:
    """Build the SimPlan for `scenario` (its `simulate:` section, or the defaults)."""
    section = scenario.simulate or SimulateSection()
    if scenario.workload.is_realtime:
        raise ConfigError(
            "simulate: the workload is a realtime service; simulation needs batch jobs"
        )
    prices = scenario_prices(scenario, prices_override)
    option = _option(scenario, section, prices)
    rng = np.random.default_rng(section.seed)
    workload = _workload(scenario, section, option, rng)
    config = _config(scenario, section, option, prices, workload)
    return SimPlan(
        scenario_name=scenario.name,
        option=option,
        workload=workload,
        config=config,
        policies=_policies(section),
        mean_job_s=float(workload.service_s.mean()) if workload.jobs else 1.0,
        snapshot_date=str(prices.snapshot_date),
        batch_size=section.batch_size,
    )


def _policies(section: SimulateSection) -> tuple[PolicySpec, ...]:
    specs = list(section.policies)
    if section.fixed_workers is not None:
        n = section.fixed_workers
        specs.append(PolicySpec(name="fixed", params={"workers": n}, label=f"fixed-{n}"))
    return tuple(specs)


def _option(scenario: Scenario, section: SimulateSection, prices: Prices) -> CapacityOption:
    if section.option is not None:
        try:
            option = parse_option(section.option, prices)
        except ConfigError as exc:
            raise ConfigError(f"simulate.option: {exc}") from exc
    else:
        workers = [o for o in scenario.options if o.kind != "lambda"]
        if not workers:
            raise ConfigError("simulate.option: the scenario has no worker option (only lambda)")
        option = workers[0]
    if option.kind == "lambda":
        raise ConfigError("simulate.option: lambda has no worker fleet to scale; pick another")
    return option


def _workload(
    scenario: Scenario, section: SimulateSection, option: CapacityOption, rng: np.random.Generator
) -> Workload:
    spec = scenario.workload
    job_s = spec.job_s_for(option)
    if spec.trace_csv is not None:
        trace = read_trace_csv(spec.trace_csv)
        arrivals = trace.timestamps_s - (trace.timestamps_s[0] if trace.jobs else 0.0)
        if section.horizon_s is not None:
            arrivals = arrivals[arrivals < section.horizon_s]
        if job_s is None and trace.durations_s is not None:
            return Workload(arrivals, trace.durations_s[: arrivals.size].copy())
    else:
        horizon = section.horizon_s or DAY_S
        arrival = spec.arrival or ArrivalSpec(kind="poisson", jobs_per_day=spec.jobs_per_day or 0)
        arrivals = generate_arrivals(arrival, horizon, rng)
    if job_s is None:
        raise ConfigError(f"workload.job_s: no seconds per job for option {option.text!r}")
    return Workload(arrivals, service_times(rng, arrivals.size, job_s, section.service_time_cv))


def generate_arrivals(
    arrival: ArrivalSpec, horizon_s: float, rng: np.random.Generator
) -> np.ndarray:
    """Arrival times for a scenario's arrival profile over [0, horizon_s)."""
    rate = arrival.jobs_per_day
    if arrival.kind == "diurnal":
        return diurnal(
            rng, rate, horizon_s, arrival.peak_to_mean or 1.0, arrival.peak_hour_utc or 0.0
        )
    if arrival.kind == "bursty":
        return bursty(
            rng,
            rate,
            horizon_s,
            arrival.bursts_per_day or 0.0,
            arrival.burst_jobs or 1,
            arrival.burst_duration_s or 1.0,
        )
    if arrival.kind == "sparse":
        return sparse(
            rng, rate, horizon_s, arrival.cluster_jobs or 1, arrival.cluster_spread_s or 0.0
        )
    return poisson(rng, rate, horizon_s)


def _config(
    scenario: Scenario,
    section: SimulateSection,
    option: CapacityOption,
    prices: Prices,
    workload: Workload,
) -> SimConfig:
    discount = scenario.spot.discount_for(option, prices)
    base = scenario.spot.on_demand_base
    task_price = task_price_per_hour_usd(
        option, scenario.task, prices, discount, on_demand_base_share=base
    )
    startup = section.startup
    hosts = None
    if option.on_ec2:
        assert option.instance_type is not None
        hosts = HostConfig(
            tasks_per_host=host_fit(option.instance_type, scenario.task, prices).tasks_per_host,
            host_price_per_hour_usd=host_price_per_hour_usd(
                option, prices, discount, on_demand_base_share=base, task=scenario.task
            ),
            host_delay_s=startup.capacity_reaction_s + startup.ec2_boot_s + startup.ecs_register_s,
            instance_warmup_s=startup.instance_warmup_s,
            capacity_target_pct=startup.capacity_target_pct,
        )
    interruptions = section.spot.interruptions_per_hour
    if interruptions is None:
        interruptions = scenario.spot.interruptions_per_hour if option.is_spot else 0.0
    horizon = section.horizon_s
    if horizon is None and scenario.workload.trace_csv is not None:
        horizon = workload.span_s
    return SimConfig(
        price_per_task_hour_usd=task_price,
        evaluation_interval_s=section.evaluation_interval_s,
        horizon_s=horizon if horizon is not None else DAY_S,
        visibility_timeout_s=section.visibility_timeout_s,
        max_receives=section.max_receives,
        startup_s=startup.task_start_s + startup.image_pull_s + startup.model_load_s,
        spot_interruptions_per_hour=interruptions,
        spot_notice_s=section.spot.notice_s,
        spot_drain=section.spot.drain,
        latency_target_s=section.latency_target_s or scenario.latency_target_s,
        lower_bound_price_per_hour_usd=task_price,
        hosts=hosts,
        max_workers=max(section.max_workers, section.fixed_workers or 0),
        seed=section.seed,
    )


def policy_params(spec: PolicySpec, plan: SimPlan) -> dict[str, float | int | bool | str]:
    """The parameters `spec`'s policy is built with: its own, then what the scenario implies
    (max workers, start-up, Copilot's latency and job time). spotq-default's come from
    spotq.scaling.params, the function `spotq synth` uses, from the same inputs."""
    hosts = plan.config.hosts
    # On EC2 a new worker usually waits for a new host as well.
    startup = plan.config.startup_s + (0.0 if hosts is None else hosts.host_delay_s)
    if spec.name == SpotqDefaultPolicy.name:
        numeric = {k: v for k, v in spec.params.items() if isinstance(v, (int, float))}
        deployed = spotq_default_params(
            batch_size=plan.batch_size, startup_s=startup, overrides=numeric
        )
        return {**spec.params, **deployed, "max_workers": plan.config.max_workers}
    params = dict(spec.params)
    accepted = inspect.signature(make_policy(spec.name).__class__).parameters
    implied: dict[str, float | int | bool | str] = {"max_workers": plan.config.max_workers}
    if plan.config.latency_target_s is not None:
        implied["acceptable_latency_s"] = plan.config.latency_target_s
    implied["msg_processing_time_s"] = plan.mean_job_s
    # synth's target tracking tracks the same target backlog per worker as spotq's scaler.
    implied["target_backlog_per_worker"] = float(plan.batch_size)
    implied["startup_s"] = startup
    for key, value in implied.items():
        if key in accepted and key not in params:
            params[key] = value
    return params
