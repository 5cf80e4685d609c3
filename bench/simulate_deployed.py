"""spotq's scaler beside AWS target tracking, each simulated as `spotq synth` deploys it.

    .venv/bin/python bench/simulate_deployed.py

For each scenario: p95 latency and cost of spotq-default (the scaler function: SQS and ECS read
every 15 s) and of synth-target-tracking (the aws-target-tracking engine: CloudWatch's late
1-minute datapoints, step alarm for 0→1, 3/15-datapoint target tracking), their ratios, and
spotq's cost over the start-up-aware lower bound. Acceptance (issue 9): spotq's p95 at most half
of target tracking's at no higher cost on the two example scenarios, and within 1.25× of the
start-up-aware bound on the 30-day ~1M-job diurnal scenario.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from spotq.plan.scenario import load_scenario
from spotq.sim.adapter import plan_simulation
from spotq.sim.compare import compare
from spotq.sim.scenario import PolicySpec

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = [
    REPO / "examples" / "scenarios" / "lab-categorization.yaml",
    REPO / "examples" / "scenarios" / "transcription-worker.yaml",
    REPO / "bench" / "scenarios" / "diurnal-1m-30d.yaml",
]
OURS, PEER = "spotq-default", "synth-target-tracking"


def main() -> None:
    head = (
        f"{'scenario':<22} {'jobs':>9} {'p95 spotq':>10} {'p95 TT':>8} {'p95 ratio':>9} "
        f"{'$ spotq':>9} {'$ TT':>9} {'$ ratio':>8} {'× start-up bound':>16} {'× busy floor':>12}"
    )
    print(head)
    for path in SCENARIOS:
        started = time.perf_counter()
        plan = plan_simulation(load_scenario(path))
        plan = dataclasses.replace(plan, policies=(PolicySpec(name=OURS), PolicySpec(name=PEER)))
        comparison = compare(plan)
        ours, peer = (run.result for run in comparison.runs)
        print(
            f"{plan.scenario_name:<22} {plan.workload.jobs:>9,} {ours.p95_s:>10.1f} "
            f"{peer.p95_s:>8.1f} {ours.p95_s / peer.p95_s:>9.2f} {ours.cost_usd:>9.4f} "
            f"{peer.cost_usd:>9.4f} {ours.cost_usd / peer.cost_usd:>8.2f} "
            f"{ours.cost_usd / comparison.startup_bound_usd:>16.2f} "
            f"{ours.cost_usd / comparison.lower_bound_usd:>12.2f}"
            f"   ({time.perf_counter() - started:.0f} s)"
        )


if __name__ == "__main__":
    main()
