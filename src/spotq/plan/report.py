"""How a plan is shown: a rich table for people, a JSON document for programs."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from spotq.plan.engine import OptionPlan, Plan
from spotq.tables import print_table


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """A JSON-ready document of the plan, costs in USD."""
    realtime = None
    if plan.realtime is not None:
        realtime = dataclasses.asdict(plan.realtime)
        realtime["baseline_capacity_rps"] = plan.realtime.baseline_capacity_rps
        realtime["baseline_covers_peak"] = plan.realtime.baseline_covers_peak
        if plan.realtime.budget is not None:
            realtime["budget"]["holds"] = plan.realtime.budget.holds
    return {
        "scenario": plan.scenario,
        "kind": plan.kind,
        "prices": {
            "snapshot_date": plan.snapshot_date,
            "region": plan.region,
            "hours_per_month": plan.hours_per_month,
        },
        "demand": plan.demand,
        "jobs_per_month": plan.jobs_per_month,
        "latency_target_s": plan.latency_target_s,
        "fixed_usd_per_month": plan.fixed_usd_per_month,
        "fixed_total_usd_per_month": plan.fixed_total_usd_per_month,
        "options": [{**dataclasses.asdict(row), "notes": list(row.notes)} for row in plan.options],
        "realtime": realtime,
        "assumptions": plan.assumptions,
    }


def _usd(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 1:
        return f"${value:,.2f}"
    return f"${value:.4f}"


def _count(value: int | None) -> str:
    return "—" if value is None else str(value)


def _latency(row: OptionPlan) -> str:
    if row.latency_s is None:
        return "—"
    mark = {True: "[green]✓[/]", False: "[red]✗[/]", None: ""}[row.latency_ok]
    shown = f"{row.latency_s * 1000:,.0f} ms" if row.latency_s < 1 else f"{row.latency_s:,.0f} s"
    return f"{shown} {mark}".strip()


def options_table(plan: Plan) -> Table:
    """The comparison table, cheapest first; the snapshot date stands beside the costs."""
    date = plan.snapshot_date
    table = Table(
        title=f"{plan.scenario}: {plan.demand}",
        caption=f"USD at AWS list prices, {plan.region}, price snapshot {date}",
    )
    table.add_column("option", no_wrap=True)
    for header in ("tasks/host", "tasks @peak", "hosts @peak", "$/task-h"):
        table.add_column(header, justify="right")
    for header in (f"compute $/mo ({date})", "fixed $/mo", f"total $/mo ({date})", "$/1k jobs"):
        table.add_column(header, justify="right")
    target = "" if plan.latency_target_s is None else f" ≤ {plan.latency_target_s:g} s"
    table.add_column(f"latency{target}", justify="right")
    ranked = sorted(plan.feasible(), key=lambda row: row.total_usd_per_month or 0.0)
    for row in ranked:
        table.add_row(
            row.option,
            _count(row.tasks_per_host),
            _count(row.tasks_at_peak),
            _count(row.hosts_at_peak),
            _usd(row.task_usd_per_hour),
            _usd(row.compute_usd_per_month),
            _usd(row.fixed_usd_per_month),
            _usd(row.total_usd_per_month),
            _usd(row.usd_per_1k_jobs),
            _latency(row),
        )
    return table


def _realtime_lines(plan: Plan) -> list[str]:
    capacity = plan.realtime
    if capacity is None:
        return []
    lines = [
        f"Baseline: {capacity.baseline_tasks} tasks × {capacity.rps_per_task:g} RPS = "
        f"{capacity.baseline_capacity_rps:g} RPS for {capacity.baseline_rps:g} RPS.",
        f"Peak: ceil({capacity.peak_rps:g} / {capacity.rps_per_task:g}) = "
        f"{capacity.peak_tasks} tasks"
        + ("" if capacity.baseline_covers_peak else " — the baseline is not enough")
        + "; keep the service and ASG max at least that (hosts per option above).",
    ]
    for row in plan.feasible():
        if row.hosts_at_peak is not None and row.hosts_at_baseline is not None:
            gpus = "" if not row.gpus_per_host else f", {row.gpus_per_host} GPU(s)/host"
            lines.append(
                f"{row.option}: {row.tasks_per_host} task(s)/host{gpus} → "
                f"{row.hosts_at_baseline} host(s) at baseline, {row.hosts_at_peak} at peak "
                f"(ASG max ≥ {row.hosts_at_peak})."
            )
    budget = capacity.budget
    if budget is not None:
        parts = " + ".join(f"{name} {ms:g}" for name, ms in budget.parts_ms.items())
        verdict = {True: "within", False: "OVER", None: "no target for"}[budget.holds]
        target = "" if budget.target_ms is None else f" the {budget.target_ms:g} ms target"
        lines.append(f"Latency budget: {parts} = {budget.total_ms:g} ms, {verdict}{target}.")
    return lines


# Columns dropped, in this order, until the table fits the terminal (--wide keeps them all).
DROP_FIRST = ("tasks/host", "$/task-h", "hosts @peak", "fixed $/mo", "compute $/mo", "tasks @peak")


def render_plan(plan: Plan, console: Console, wide: bool = False) -> None:
    """Print the plan: the options, exclusions, fixed costs, realtime math and assumptions."""
    print_table(options_table(plan), wide=wide, drop_first=DROP_FIRST, console=console)
    for row in plan.options:
        if row.excluded is not None:
            console.print(f"[yellow]excluded[/] {escape(row.option)}: {escape(row.excluded)}")
    fixed = {k: v for k, v in plan.fixed_usd_per_month.items() if v > 0}
    if fixed:
        items = ", ".join(f"{name} {_usd(usd)}" for name, usd in fixed.items())
        console.print(
            f"Fixed costs a month ({plan.snapshot_date} prices): {items}; "
            f"total {_usd(plan.fixed_total_usd_per_month)}."
        )
    for line in _realtime_lines(plan):
        console.print(line)
    for row in plan.feasible():
        if row.notes:
            console.print(f"[dim]{row.option}: {'; '.join(row.notes)}[/]")
    for note in plan.assumptions:
        console.print(f"[dim]· {note}[/]")
