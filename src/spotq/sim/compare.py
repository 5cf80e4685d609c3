"""Run every policy of a SimPlan over the same workload and collect the results."""

from __future__ import annotations

from dataclasses import dataclass

from spotq.sim.adapter import SimPlan
from spotq.sim.result import RawRun, SimResult, summarise
from spotq.sim.run import simulate_raw


@dataclass(frozen=True)
class PolicyRun:
    """One policy's raw run and its summary."""

    label: str
    raw: RawRun
    result: SimResult


@dataclass(frozen=True)
class Comparison:
    """All policies over one scenario, plus the clairvoyant lower bound."""

    plan: SimPlan
    runs: tuple[PolicyRun, ...]

    @property
    def lower_bound_usd(self) -> float:
        return self.runs[0].result.lower_bound_usd if self.runs else 0.0

    @property
    def startup_bound_usd(self) -> float:
        return self.runs[0].result.startup_bound_usd if self.runs else 0.0


def compare(plan: SimPlan) -> Comparison:
    """Simulate each of the plan's policies in turn (each gets a fresh policy object)."""
    runs = []
    for spec in plan.policies:
        raw = simulate_raw(plan.workload, plan.policy(spec), plan.config)
        runs.append(PolicyRun(spec.display, raw, summarise(raw, plan.config, spec.display)))
    return Comparison(plan, tuple(runs))
