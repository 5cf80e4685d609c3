"""Printing the realtime simulation: one row per service policy, side by side."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.table import Table

from spotq.sim.realtime import RealtimeResult, RealtimeSimConfig


def realtime_table(config: RealtimeSimConfig, results: list[RealtimeResult]) -> Table:
    table = Table(
        title=(
            f"realtime service, {config.duration_s / 3600:g} h: {config.baseline_rps:g}→"
            f"{config.peak_rps:g} RPS, {config.rps_per_task:g} RPS/task, p95 target "
            f"{config.target_ms:g} ms, task start {config.startup_s:g} s"
        )
    )
    for name in ("policy", "requests", "shed", "p50 ms", "p95 ms", "p99 ms", "mean tasks",
                 "peak tasks", "cost USD", "USD / 1M req"):  # fmt: skip
        table.add_column(name, justify="left" if name == "policy" else "right")
    for r in results:
        table.add_row(
            r.policy,
            f"{r.requests:,}",
            f"{r.shed:,} ({100 * r.shed_fraction:.2f} %)",
            f"{r.p50_ms:.0f}",
            f"{r.p95_ms:.0f}",
            f"{r.p99_ms:.0f}",
            f"{r.mean_tasks:.2f}",
            str(r.peak_tasks),
            f"{r.cost_usd:.2f}",
            f"{1e6 * r.cost_usd / max(1, r.requests):.2f}",
        )
    return table


def realtime_json(config: RealtimeSimConfig, results: list[RealtimeResult]) -> dict[str, Any]:
    return {
        "kind": "realtime",
        "config": dataclasses.asdict(config),
        "results": [{**dataclasses.asdict(r), "shed_fraction": r.shed_fraction} for r in results],
    }
