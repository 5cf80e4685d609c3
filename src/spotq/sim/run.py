"""Run one workload against one or more policies."""

from __future__ import annotations

from spotq.scaling.base import ScalingPolicy
from spotq.scaling.fixed import FixedPolicy
from spotq.sim.config import SimConfig
from spotq.sim.engine import Engine
from spotq.sim.fixed import fixed_mode_applies, run_fixed
from spotq.sim.result import RawRun, SimResult, summarise
from spotq.sim.workload import Workload


def simulate_raw(workload: Workload, policy: ScalingPolicy, cfg: SimConfig) -> RawRun:
    """Simulate and keep the per-job arrays and per-tick series."""
    if isinstance(policy, FixedPolicy) and fixed_mode_applies(policy.workers, cfg):
        raw = run_fixed(workload, policy.workers, cfg, policy.name)
        if raw is not None:
            return raw
    return Engine(workload, policy, cfg).run()


def simulate(
    workload: Workload, policy: ScalingPolicy, cfg: SimConfig, label: str | None = None
) -> SimResult:
    """Simulate `policy` over `workload` and summarise."""
    return summarise(simulate_raw(workload, policy, cfg), cfg, label)
