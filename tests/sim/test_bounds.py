"""The two lower bounds: the busy-time floor and the start-up-aware bound."""

from __future__ import annotations

import numpy as np
import pytest

from spotq.sim.bounds import busy_floor_usd, startup_bound_usd
from spotq.sim.config import SimConfig

CFG = SimConfig(price_per_task_hour_usd=3600.0, startup_s=60.0, min_billed_s=60.0)  # $1 a second


def _bound(arrivals: list[float], service: list[float]) -> float:
    return startup_bound_usd(np.array(arrivals), np.array(service), CFG)


def test_far_apart_jobs_each_pay_a_start_up() -> None:
    # two 100 s jobs an hour apart: 2 × (100 + 60)
    assert _bound([0.0, 3600.0], [100.0, 100.0]) == pytest.approx(320.0)
    assert busy_floor_usd(np.array([100.0, 100.0]), CFG) == pytest.approx(200.0)


def test_a_short_gap_is_bridged_by_a_warm_worker() -> None:
    # gap of 30 s < start-up: keep the worker (30) instead of a second start (60)
    assert _bound([0.0, 130.0], [100.0, 100.0]) == pytest.approx(100 + 30 + 100 + 60)


def test_overlapping_jobs_pay_their_busy_time_and_one_start() -> None:
    assert _bound([0.0, 10.0, 20.0], [100.0, 100.0, 100.0]) == pytest.approx(300 + 60)


def test_billing_minimum_applies_per_start() -> None:
    assert _bound([0.0], [1.0]) == pytest.approx(61.0)
    short = SimConfig(price_per_task_hour_usd=3600.0, startup_s=10.0, min_billed_s=60.0)
    assert startup_bound_usd(np.array([0.0]), np.array([1.0]), short) == pytest.approx(60.0)


def test_no_jobs_cost_nothing() -> None:
    assert _bound([], []) == 0.0
