"""The engine against theory (Erlang C) and against a billing trace worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spotq.scaling import make_policy
from spotq.sim.config import SimConfig
from spotq.sim.result import summarise
from spotq.sim.run import simulate_raw
from spotq.sim.workload import Workload


def erlang_c_mean_wait_s(arrival_rate: float, service_rate: float, servers: int) -> float:
    """M/M/c mean time in queue."""
    a = arrival_rate / service_rate
    rho = a / servers
    head = sum(a**k / math.factorial(k) for k in range(servers))
    tail = a**servers / math.factorial(servers) / (1 - rho)
    p_wait = tail / (head + tail)
    return p_wait / (servers * service_rate - arrival_rate)


def test_fixed_workers_mean_wait_matches_erlang_c() -> None:
    servers, service_rate = 4, 1 / 10
    arrival_rate = 0.75 * servers * service_rate
    rng = np.random.default_rng(0)
    n = 3_000_000
    arrivals = np.cumsum(rng.exponential(1 / arrival_rate, n))
    service = rng.exponential(1 / service_rate, n)
    cfg = SimConfig(
        price_per_task_hour_usd=1.0,
        startup_s=0.0,
        evaluation_interval_s=3600.0,
        horizon_s=float(arrivals[-1]),
    )
    raw = simulate_raw(Workload(arrivals, service), make_policy("fixed", workers=servers), cfg)
    simulated = float(np.mean(np.asarray(raw.start_s) - arrivals))
    theory = erlang_c_mean_wait_s(arrival_rate, service_rate, servers)
    assert theory == pytest.approx(5.0943, rel=1e-3)
    assert simulated == pytest.approx(theory, rel=0.02)


def test_hand_worked_billing_per_second_with_60_s_minimum() -> None:
    # Job A arrives at 1.0 (12.5 s), job B at 200.3 (100.4 s). Ticks every 2.5 s, start-up 5 s.
    # A: launch 2.5, ready 7.5, done 20.0, stopped idle at tick 20.0 → ran 17.5 s → billed 60 s.
    # B: launch 202.5, ready 207.5, done 307.9, stopped at tick 310.0 → ran 107.5 s → billed 108 s.
    workload = Workload(np.array([1.0, 200.3]), np.array([12.5, 100.4]))
    cfg = SimConfig(
        price_per_task_hour_usd=3.6,  # $0.001 per second
        startup_s=5.0,
        evaluation_interval_s=2.5,
    )
    policy = make_policy(
        "spotq-default", idle_to_zero_s=0.0, scale_in_cooldown_s=0.0, max_workers=1
    )
    raw = simulate_raw(workload, policy, cfg)
    result = summarise(raw, cfg)
    assert raw.finish_s.tolist() == [20.0, pytest.approx(307.9)]
    assert raw.worker_s == pytest.approx(17.5 + 107.5)
    assert result.billed_seconds == 60 + 108
    assert result.cost_usd == pytest.approx(0.168)
    assert result.lower_bound_usd == pytest.approx((12.5 + 100.4) * 0.001)
    assert result.p50_s == pytest.approx(19.0)
    assert result.peak_workers == 1
    assert raw.end_s == 310.0
