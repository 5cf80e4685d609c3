"""Arrival generators (seeded, with the plan's meanings) and the scenario's simulate section."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from spotq.plan.arrivals import ArrivalSpec
from spotq.plan.scenario import load_scenario
from spotq.sim.adapter import generate_arrivals, plan_simulation
from spotq.sim.scenario import SimulateSection
from spotq.sim.workload import DAY_S, service_times

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"


def arrivals(**spec: object) -> np.ndarray:
    return generate_arrivals(ArrivalSpec.model_validate(spec), 10 * DAY_S, np.random.default_rng(1))


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "poisson", "jobs_per_day": 1000},
        {"kind": "diurnal", "jobs_per_day": 1000, "peak_to_mean": 2.0, "peak_hour_utc": 14},
        {"kind": "bursty", "jobs_per_day": 1000, "bursts_per_day": 4, "burst_jobs": 100},
        {"kind": "sparse", "jobs_per_day": 1000, "cluster_jobs": 5, "cluster_spread_s": 30},
    ],
)
def test_generators_keep_the_mean_rate_sorted_and_seeded(spec: dict[str, object]) -> None:
    times = arrivals(**spec)
    assert times.size == pytest.approx(10_000, rel=0.06)
    assert np.all(np.diff(times) >= 0) and times[0] >= 0 and times[-1] < 10 * DAY_S
    assert np.array_equal(times, arrivals(**spec))


def test_diurnal_peaks_at_the_peak_hour() -> None:
    times = arrivals(kind="diurnal", jobs_per_day=5000, peak_to_mean=2.0, peak_hour_utc=14)
    by_hour = np.bincount((times % DAY_S // 3600).astype(int), minlength=24)
    assert int(np.argmax(by_hour)) in (13, 14, 15)
    assert by_hour[14] > 3 * by_hour[2]


def test_bursts_land_together() -> None:
    times = arrivals(kind="bursty", jobs_per_day=500, bursts_per_day=4, burst_jobs=100)
    per_minute = np.bincount((times // 60).astype(int))
    assert per_minute.max() >= 90


def test_service_times_have_the_mean_and_spread() -> None:
    rng = np.random.default_rng(0)
    assert set(service_times(rng, 5, 12.0).tolist()) == {12.0}
    spread = service_times(rng, 200_000, 12.0, cv=0.5)
    assert spread.mean() == pytest.approx(12.0, rel=0.01)
    assert spread.std() / spread.mean() == pytest.approx(0.5, rel=0.03)


def test_simulate_section_defaults_shorthand_and_unknown_keys() -> None:
    section = SimulateSection.model_validate({"policies": ["spotq-default", {"name": "fixed"}]})
    assert [p.name for p in section.policies] == ["spotq-default", "fixed"]
    assert SimulateSection().policies[0].name == "spotq-default"
    assert SimulateSection(days=2).horizon_s == 2 * DAY_S
    with pytest.raises(ValidationError, match="extra"):
        SimulateSection.model_validate({"max_wokers": 3})
    with pytest.raises(ValidationError, match="either days or duration_s"):
        SimulateSection(days=1, duration_s=60)


@pytest.mark.parametrize("name", ["transcription-worker", "face-recognition", "lab-categorization"])
def test_every_shipped_batch_example_builds_a_simulation(name: str) -> None:
    plan = plan_simulation(load_scenario(EXAMPLES / f"{name}.yaml"))
    assert plan.workload.jobs > 100
    assert plan.config.price_per_task_hour_usd > 0
    assert plan.policies[0].name == "spotq-default"
