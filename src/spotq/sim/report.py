"""The comparison as a rich table and as JSON-ready data."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table

from spotq.sim.compare import Comparison


def _s(value: float) -> str:
    if not math.isfinite(value):
        return "never"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _usd(value: float) -> str:
    return "—" if not math.isfinite(value) else f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def headline(comparison: Comparison) -> str:
    """One line that says what was simulated and at which prices."""
    plan = comparison.plan
    cfg = plan.config
    hours = (cfg.horizon_s or 0.0) / 3600.0
    return (
        f"{plan.scenario_name}: {plan.workload.jobs:,} jobs over {hours:,.1f} h on "
        f"{plan.option.text} at ${cfg.price_per_task_hour_usd:.5f}/task-hour "
        f"(prices as of {plan.snapshot_date}); policy tick {cfg.evaluation_interval_s:g} s, "
        f"start-up {cfg.startup_s:g} s"
    )


def table(comparison: Comparison) -> Table:
    """Policies side by side, with the clairvoyant lower bound as the last row."""
    out = Table(title=headline(comparison), title_justify="left")
    for name in ("policy", "cost", "$/1k jobs", "× bound", "× start-up bound", "p50 s", "p95 s",
                 "p99 s"):  # fmt: skip
        out.add_column(name, justify="left" if name == "policy" else "right")
    for name in ("max backlog", "retried", "DLQ", "never served", "SLO miss", "worker-h", "peak"):
        out.add_column(name, justify="right")
    bound, startup_bound = comparison.lower_bound_usd, comparison.startup_bound_usd
    for run in comparison.runs:
        r = run.result
        out.add_row(
            r.policy,
            _usd(r.cost_usd),
            _usd(r.cost_per_1000_usd),
            f"{r.cost_usd / bound:.2f}" if bound > 0 else "—",
            f"{r.cost_usd / startup_bound:.2f}" if startup_bound > 0 else "—",
            _s(r.p50_s),
            _s(r.p95_s),
            _s(r.p99_s),
            f"{r.max_backlog:,}",
            f"{r.retried:,}",
            f"{r.dead_lettered:,}",
            f"{r.stranded:,}",
            f"{r.slo_violations:,}",
            f"{r.worker_seconds / 3600.0:,.2f}",
            str(r.peak_workers),
        )
    jobs = comparison.plan.workload.jobs
    out.add_row(
        "busy-time floor",
        _usd(bound),
        _usd(bound * 1000.0 / jobs if jobs else math.inf),
        "1.00",
        f"{bound / startup_bound:.2f}" if startup_bound > 0 else "—",
        *(["no wait"] + [""] * 9),
        style="dim",
    )
    out.add_row(
        "start-up-aware bound",
        _usd(startup_bound),
        _usd(startup_bound * 1000.0 / jobs if jobs else math.inf),
        f"{startup_bound / bound:.2f}" if bound > 0 else "—",
        "1.00",
        *(["no wait"] + [""] * 9),
        style="dim",
    )
    return out


def observation_notes(comparison: Comparison) -> list[str]:
    """Per policy, the observation path its simulation used (the one it has when deployed)."""
    return [f"{run.result.policy}: {run.result.observation}" for run in comparison.runs]


def legend(comparison: Comparison) -> str:
    """What the columns mean, with the SLO the "SLO miss" column counts against."""
    target = comparison.plan.config.latency_target_s
    slo = (
        f"SLO miss = jobs whose end-to-end latency exceeded the {target:g} s target"
        if target is not None
        else "SLO miss = 0: the scenario sets no latency_target_s"
    )
    return "\n".join(
        (
            "cost = compute billed for the run; × bound = cost ÷ the busy-time floor (a "
            "clairvoyant fleet that pays only for busy worker-seconds, no start-up or idle time); "
            "× start-up bound = cost ÷ the start-up-aware bound (the same fleet also paying each "
            "unavoidable start-up and billing minimum; docs/simulation.md)",
            "p50/p95/p99 s = end-to-end latency (submit → result); max backlog = most messages "
            "visible + in flight",
            "retried = receives after a spot interruption or timeout; DLQ = dead-lettered; never "
            "served = still queued when the simulation ended",
            f"{slo}; worker-h = worker hours billed; peak = most workers at once",
        )
    )


def verdict(comparison: Comparison, ours: str = "spotq-default") -> str:
    """How `ours` compares with each peer on cost and p95, and its cost over the lower bound."""
    mine = next((r.result for r in comparison.runs if r.result.policy == ours), None)
    if mine is None:
        return ""
    groups: dict[str, list[str]] = {
        "both": [],
        "dearer_faster": [],
        "cheaper_slower": [],
        "worse": [],
    }
    for run in comparison.runs:
        peer = run.result
        if peer.policy == ours:
            continue
        cheaper, faster = mine.cost_usd < peer.cost_usd, mine.p95_s <= peer.p95_s
        key = "both" if cheaper and faster else "dearer_faster" if cheaper else "cheaper_slower"
        groups[key if cheaper or faster else "worse"].append(peer.policy)
    bound = comparison.lower_bound_usd
    ratio = mine.cost_usd / bound if bound else math.inf
    startup_bound = comparison.startup_bound_usd
    startup_ratio = mine.cost_usd / startup_bound if startup_bound else math.inf
    parts = [
        f"{ours}: cost {ratio:.2f}× the busy-time floor, {startup_ratio:.2f}× the start-up-aware "
        "bound",
        f"cheaper with equal or better p95 than: {', '.join(groups['both']) or 'none'}",
    ]
    if groups["dearer_faster"]:
        parts.append(f"cheaper but slower than: {', '.join(groups['dearer_faster'])}")
    if groups["cheaper_slower"]:
        parts.append(f"faster but dearer than: {', '.join(groups['cheaper_slower'])}")
    if groups["worse"]:
        parts.append(f"dearer and slower than: {', '.join(groups['worse'])}")
    return "; ".join(parts)


def pareto_ok(comparison: Comparison, ours: str = "spotq-default") -> bool:
    """True when no peer is at least as cheap with an equal or better p95."""
    mine = next((r.result for r in comparison.runs if r.result.policy == ours), None)
    if mine is None:
        return False
    return not any(
        r.result.policy != ours
        and r.result.cost_usd <= mine.cost_usd
        and r.result.p95_s <= mine.p95_s
        for r in comparison.runs
    )


def as_json(comparison: Comparison) -> dict[str, Any]:
    """Everything the table shows, as plain data (inf → null)."""
    plan = comparison.plan
    return {
        "scenario": plan.scenario_name,
        "option": plan.option.text,
        "snapshot_date": plan.snapshot_date,
        "price_per_task_hour_usd": plan.config.price_per_task_hour_usd,
        "jobs": plan.workload.jobs,
        "horizon_s": plan.config.horizon_s,
        "lower_bound_usd": comparison.lower_bound_usd,
        "startup_bound_usd": comparison.startup_bound_usd,
        "policies": [run.result.as_dict() for run in comparison.runs],
        "verdict": verdict(comparison),
        "no_peer_cheaper_at_equal_or_better_p95": pareto_ok(comparison),
    }
