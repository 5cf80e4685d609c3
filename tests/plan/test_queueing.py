"""Erlang C sizing, traces, arrival profiles and fixed costs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from spotq.errors import ConfigError
from spotq.plan.arrivals import ArrivalSpec
from spotq.plan.fixed import fixed_costs_usd_per_month, sqs_requests_per_job
from spotq.plan.prices import load_prices
from spotq.plan.queueing import erlang_c, mean_wait_s, workers_for_batch, workers_for_latency
from spotq.plan.scenario import FixedSection
from spotq.plan.trace import read_trace_csv

PRICES = load_prices()


def test_erlang_c_matches_known_values() -> None:
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = ρ
    # M/M/1 mean wait: ρ / (1 − ρ) × S.
    assert mean_wait_s(1, 0.05, 10.0) == pytest.approx(0.5 / 0.5 * 10.0)
    assert mean_wait_s(3, 1.0, 3.0) == math.inf
    assert mean_wait_s(3, 0.0, 3.0) == 0.0


def test_workers_for_latency_picks_the_fewest_that_meet_the_target() -> None:
    sizing = workers_for_latency(arrivals_per_s=1.0, service_s=10.0, target_s=12.0)
    assert sizing.meets_target
    assert sizing.latency_s <= 12.0
    fewer = sizing.workers - 1
    assert 10.0 + mean_wait_s(fewer, 1.0, 10.0) > 12.0
    missed = workers_for_latency(arrivals_per_s=1.0, service_s=10.0, target_s=5.0)
    assert not missed.meets_target


def test_workers_for_a_batch_arriving_together() -> None:
    assert workers_for_batch(10, service_s=60, target_s=300) == 2  # 5 jobs a worker in time
    assert workers_for_batch(10, service_s=60, target_s=30) == 10
    assert workers_for_batch(1, service_s=60, target_s=30) == 1


def test_arrival_profiles_mean_and_peak() -> None:
    diurnal = ArrivalSpec(kind="diurnal", jobs_per_day=86_400, peak_to_mean=1.5)
    assert diurnal.peak_jobs_per_s() == pytest.approx(1.5)
    bursty = ArrivalSpec(
        kind="bursty", jobs_per_day=1000, bursts_per_day=2, burst_jobs=300, burst_duration_s=60
    )
    assert bursty.background_jobs_per_day() == 400
    assert bursty.peak_jobs_per_s() == pytest.approx(400 / 86_400 + 5.0)
    assert bursty.jobs_arriving_together() == 300
    sparse = ArrivalSpec(kind="sparse", jobs_per_day=20, cluster_jobs=4)
    assert sparse.jobs_arriving_together() == 4
    assert sparse.peak_hour_utc is None


def test_trace_reads_sorts_and_measures(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("timestamp_s,duration_s\n600,4\n0,2\n10,3\n")
    trace = read_trace_csv(path)
    assert trace.timestamps_s.tolist() == [0, 10, 600]
    assert trace.durations_s is not None and trace.durations_s.tolist() == [2, 3, 4]
    assert trace.mean_duration_s() == pytest.approx(3.0)
    assert trace.jobs_per_day() == pytest.approx(3 / 600 * 86_400)
    assert trace.peak_jobs_per_s() == pytest.approx(2 / 300)


def test_trace_errors_name_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("timestamp_s,duration_s\n0,2\nsoon,3\n")
    with pytest.raises(ConfigError, match="row 3, column timestamp_s: expected a number"):
        read_trace_csv(path)
    path.write_text("time\n0\n")
    with pytest.raises(ConfigError, match="needs a timestamp_s column"):
        read_trace_csv(path)


def test_sqs_bills_64_kb_chunks() -> None:
    assert sqs_requests_per_job(1024, 64) == 3  # send, receive, delete
    assert sqs_requests_per_job(64 * 1024, 64) == 3
    assert sqs_requests_per_job(64 * 1024 + 1, 64) == 5
    assert sqs_requests_per_job(256 * 1024, 64) == 9


def test_fixed_costs_per_service() -> None:
    fixed = FixedSection(
        nat_gateway_hours=730,
        nat_gb=100,
        cloudwatch_metrics=10,
        cloudwatch_alarms=4,
        s3_gb=100,
        s3_puts_per_job=1,
        dynamodb_writes_per_job=2,
        message_size_bytes=200 * 1024,
    )
    lines = fixed_costs_usd_per_month(fixed, PRICES, jobs_per_month=1_000_000)
    assert lines["nat_gateway"] == pytest.approx(730 * 0.045 + 100 * 0.045)
    assert lines["cloudwatch"] == pytest.approx(10 * 0.30 + 4 * 0.10)
    assert lines["sqs"] == pytest.approx(1_000_000 * (2 * 4 + 1) * 0.40 / 1e6)
    assert lines["s3"] == pytest.approx(100 * 0.023 + 1000 * 0.005)
    assert lines["dynamodb"] == pytest.approx(2 * 0.625)
    assert lines["alb"] == 0.0


def test_fixed_costs_include_what_synth_creates_to_scale() -> None:
    """The scaler function by default; alarms and Container Insights for target tracking."""
    spotq = fixed_costs_usd_per_month(FixedSection(), PRICES, jobs_per_month=1000)
    runs = 730 * 60  # one invocation a minute
    function = runs * 46 * 0.125 * 0.0000133334 + runs * 0.20 / 1e6
    assert spotq["scaler"] + spotq["scaling_alarms"] == pytest.approx(4.56, abs=0.05)
    assert spotq["scaler"] > function > 3.3  # duration dominates; state, logs, metrics add ~$1
    assert spotq["scaling_alarms"] == pytest.approx(0.10)
    assert "container_insights" not in spotq
    tracking = fixed_costs_usd_per_month(
        FixedSection(scaling_engine="aws-target-tracking"), PRICES, jobs_per_month=1000
    )
    assert "scaler" not in tracking
    assert tracking["scaling_alarms"] == pytest.approx(13 * 0.10)
    assert tracking["container_insights"] == pytest.approx(16 * 0.30)
    none = fixed_costs_usd_per_month(FixedSection(scaling_engine="none"), PRICES, 1000)
    assert not {"scaler", "scaling_alarms"} & set(none)


def test_fixed_costs_include_the_worker_metrics_and_the_dashboard_synth_creates() -> None:
    from spotq.plan.scaling_costs import WORKER_EMF_METRICS
    from spotq.worker.emf import DISTRIBUTIONS, TOTALS

    assert len(DISTRIBUTIONS) + len(TOTALS) == WORKER_EMF_METRICS
    for engine in ("spotq", "aws-target-tracking"):
        lines = fixed_costs_usd_per_month(FixedSection(scaling_engine=engine), PRICES, 1000)
        assert lines["worker_metrics"] == pytest.approx(11 * 0.30)
        assert lines["dashboard"] == pytest.approx(3.00)
    none = fixed_costs_usd_per_month(FixedSection(scaling_engine="none"), PRICES, 1000)
    assert "dashboard" not in none


def test_lambda_option_pays_no_scaler() -> None:
    from spotq.plan.engine import plan_scenario
    from spotq.plan.scenario import load_scenario

    scenario = load_scenario(Path(__file__).resolve().parents[2] / "examples" / "scenarios"
                             / "lab-categorization.yaml")  # fmt: skip
    plan = plan_scenario(scenario, PRICES)
    fixed = {row.option: row.fixed_usd_per_month or 0.0 for row in plan.options}
    assert fixed["fargate-spot"] - fixed["lambda"] == pytest.approx(
        4.56 + 3.30 + 3.00, abs=0.05
    )  # scaler, worker metrics, dashboard
