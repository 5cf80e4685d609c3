"""The realtime simulator and the service scaling policies it replays."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

from spotq.scaling.requests import AlbRequestCountTracking, RequestObservation, SpotqRps
from spotq.sim.realtime import RealtimeSimConfig, policies, rate_profile, simulate_realtime

ROOT = Path(__file__).resolve().parents[2]
CONFIG = RealtimeSimConfig(
    rps_per_task=10,
    baseline_rps=5,
    peak_rps=50,
    fixed_ms=30,
    inference_ms=100,
    target_ms=600,
    startup_s=60,
    min_tasks=1,
    max_tasks=20,
    usd_per_task_hour=0.5,
    duration_s=6 * 3600,
)


def test_the_profile_runs_from_the_baseline_to_the_peak_at_three_pm() -> None:
    day = dataclasses.replace(CONFIG, duration_s=86_400)
    rates = rate_profile(day)
    assert rates.min() == 5 and rates.max() == 50
    assert int(rates.argmax()) == 15 * 3600


def test_too_few_tasks_shed_requests_and_enough_tasks_do_not() -> None:
    from spotq.scaling.requests import FixedTasks

    flat = dataclasses.replace(CONFIG, baseline_rps=30, peak_rps=30, duration_s=600)
    starved = simulate_realtime(flat, FixedTasks(2))  # 20 RPS of capacity for 30 RPS
    assert starved.shed_fraction > 0.25
    roomy = simulate_realtime(flat, FixedTasks(5))
    assert roomy.shed == 0 and roomy.p95_ms < flat.target_ms
    assert roomy.cost_usd > starved.cost_usd


def test_queueing_shows_in_latency_but_never_past_the_target() -> None:
    from spotq.scaling.requests import FixedTasks

    busy = dataclasses.replace(CONFIG, baseline_rps=29, peak_rps=29, duration_s=1800)
    result = simulate_realtime(busy, FixedTasks(3))  # 97 % utilisation: queues build
    assert result.p99_ms > busy.fixed_ms + busy.inference_ms
    assert result.p99_ms <= busy.target_ms


def test_alb_tracking_waits_three_datapoints_and_scales_in_slowly() -> None:
    policy = AlbRequestCountTracking(target_per_minute=600, max_tasks=10)
    hot = RequestObservation(0, 30, 30, running=1)  # 1800 per target-minute, target 600
    assert policy.desired(hot) == 1
    assert policy.desired(hot._replace(now_s=60)) == 1
    assert policy.desired(hot._replace(now_s=120)) == 3
    cold = RequestObservation(180, 1, 1, running=3)
    assert all(policy.desired(cold._replace(now_s=180 + 60 * i)) == 3 for i in range(14))
    assert policy.desired(cold._replace(now_s=180 + 60 * 14)) == 1


def test_spotq_rps_scales_out_at_once_and_in_only_after_its_window() -> None:
    policy = SpotqRps(rps_per_task=10, utilisation=0.5, max_tasks=10, scale_in_window_s=300)
    assert policy.desired(RequestObservation(0, 40, 20, running=1)) == 8
    assert policy.desired(RequestObservation(100, 5, 5, running=8)) == 8
    assert policy.desired(RequestObservation(400, 5, 5, running=8)) == 1


def test_every_policy_serves_the_day_and_spotq_sheds_less_than_tracking() -> None:
    results = {p.name: simulate_realtime(CONFIG, p) for p in policies(CONFIG)}
    assert set(results) == {"alb-request-count", "spotq-rps", "fixed-peak"}
    assert all(r.requests == results["spotq-rps"].requests for r in results.values())
    assert results["spotq-rps"].shed <= results["alb-request-count"].shed
    assert results["spotq-rps"].mean_tasks < results["fixed-peak"].mean_tasks * 1.5


def test_spotq_simulate_replays_the_realtime_example() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "spotq.cli", "simulate",
         str(ROOT / "examples" / "scenarios" / "gpu-realtime.yaml"), "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["kind"] == "realtime"
    names = [r["policy"] for r in report["results"]]
    assert names == ["alb-request-count", "spotq-rps", "fixed-peak"]
    assert all(r["requests"] > 1_000_000 and r["cost_usd"] > 0 for r in report["results"])
