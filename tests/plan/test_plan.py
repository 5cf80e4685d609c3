"""`spotq plan` over the shipped examples and small scenarios: figures, JSON, chart, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from spotq.cli import cli
from spotq.plan.engine import plan_scenario
from spotq.plan.prices import load_prices
from spotq.plan.scenario import load_scenario, scenario_prices

EXAMPLES = Path(__file__).parents[2] / "examples" / "scenarios"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def test_there_are_four_examples() -> None:
    names = {path.stem for path in EXAMPLE_FILES}
    assert {
        "transcription-worker",
        "face-recognition",
        "lab-categorization",
        "gpu-realtime",
    } <= names


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_every_example_loads_and_plans(path: Path) -> None:
    scenario = load_scenario(path)
    plan = plan_scenario(scenario, scenario_prices(scenario))
    assert len(plan.options) == len(scenario.options)
    feasible = plan.feasible()
    assert feasible, "every example has at least one option that can run it"
    for row in feasible:
        assert row.total_usd_per_month is not None and row.total_usd_per_month > 0
        assert row.tasks_at_peak is not None and row.tasks_at_peak >= 1


def test_face_recognition_places_one_task_per_host_and_excludes_lambda() -> None:
    scenario = load_scenario(EXAMPLES / "face-recognition.yaml")
    plan = plan_scenario(scenario, scenario_prices(scenario))
    rows = {row.option: row for row in plan.options}
    spot = rows["ec2-spot:c5.2xlarge"]
    assert spot.tasks_per_host == 1
    assert spot.hosts_at_peak == spot.tasks_at_peak
    assert spot.task_usd_per_hour == pytest.approx(0.34 * 0.30)
    excluded = rows["lambda"].excluded
    assert excluded is not None and "10,240 MB" in excluded


def test_batch_cost_is_busy_time_times_the_task_price(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nworkload: {jobs_per_day: 1000, job_s: 36}\n"
        "task: {vcpu: 1, memory_gib: 2}\noptions: [fargate, lambda]\nlatency_target_s: 60\n"
    )
    plan = plan_scenario(load_scenario(path), load_prices())
    fargate, lam = plan.options
    jobs = 1000 * 730 / 24
    assert plan.jobs_per_month == pytest.approx(jobs)
    busy_hours = jobs * 36 / 3600
    assert fargate.compute_usd_per_month == pytest.approx(busy_hours * (0.04048 + 2 * 0.004445))
    gb = 2.0  # the task's 2 GiB (more than the 1,769 MB one vCPU needs)
    lambda_usd = jobs * 36 * gb * 0.0000166667 + jobs * 0.20 / 1e6
    assert lam.compute_usd_per_month == pytest.approx(lambda_usd)
    assert fargate.usd_per_1k_jobs == pytest.approx(fargate.total_usd_per_month / jobs * 1000)
    assert fargate.latency_ok and lam.latency_ok


def test_a_latency_target_shorter_than_a_job_does_not_hold(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nworkload: {jobs_per_day: 100, job_s: 120}\n"
        "task: {vcpu: 1, memory_gib: 2}\noptions: [fargate]\nlatency_target_s: 60\n"
    )
    row = plan_scenario(load_scenario(path), load_prices()).options[0]
    assert row.latency_ok is False


def test_cli_prints_a_table_with_the_snapshot_date() -> None:
    result = CliRunner().invoke(cli, ["plan", str(EXAMPLES / "lab-categorization.yaml")])
    assert result.exit_code == 0, result.output
    assert "2026-11-22" in result.output
    assert "fargate-spot" in result.output


def test_cli_json_is_a_machine_readable_document() -> None:
    result = CliRunner().invoke(cli, ["plan", str(EXAMPLES / "gpu-realtime.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["prices"]["snapshot_date"] == "2026-11-22"
    assert document["realtime"]["peak_tasks"] == 5
    assert document["realtime"]["budget"]["total_ms"] == 250
    rows = {row["option"]: row for row in document["options"]}
    assert rows["fargate"]["excluded"] == "Fargate has no GPUs"
    assert rows["gpu:g5.2xlarge"]["hosts_at_peak"] == 5


def test_cli_chart_writes_a_png(tmp_path: Path) -> None:
    chart = tmp_path / "out" / "chart.png"
    args = ["plan", str(EXAMPLES / "face-recognition.yaml"), "--chart", str(chart)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert chart.stat().st_size > 10_000


def test_cli_prices_override_changes_the_costs(tmp_path: Path) -> None:
    override = tmp_path / "prices.yaml"
    override.write_text("snapshot_date: 2030-01-01\nec2_on_demand_linux_hr: {g5.2xlarge: 2.0}\n")
    args = ["plan", str(EXAMPLES / "gpu-realtime.yaml"), "--json", "--prices", str(override)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["prices"]["snapshot_date"] == "2030-01-01"
    row = next(r for r in document["options"] if r["option"] == "gpu:g5.2xlarge")
    assert row["compute_usd_per_month"] == pytest.approx(2 * 2.0 * 730)


def test_cli_bad_scenario_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: x\nworkload: {jobs_per_day: lots, job_s: 3}\n"
        "task: {vcpu: 1, memory_gib: 2}\noptions: [fargate]\n"
    )
    result = CliRunner().invoke(cli, ["plan", str(path)])
    assert result.exit_code == 1
    assert "workload.jobs_per_day: expected a number, got 'lots'" in result.output
    assert "Traceback" not in result.output
    missing = CliRunner().invoke(cli, ["plan", str(tmp_path / "absent.yaml")])
    assert missing.exit_code == 1
    assert "cannot read it" in missing.output


def test_job_s_per_batch_size_prices_the_batched_cost_and_the_call_latency(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.yaml"
    base = "name: s\nworkload: {jobs_per_day: 1000, job_s: JOB_S}\n"
    base += "task: {vcpu: 1, memory_gib: 2}\noptions: [fargate]\nlatency_target_s: 1.5\n"
    rows = {}
    for label, job_s in (("one", "0.9"), ("batched", "{batch: {1: 0.9, 8: 0.25}}")):
        path.write_text(base.replace("JOB_S", job_s))
        rows[label] = plan_scenario(load_scenario(path), load_prices()).options[0]
    one, batched = rows["one"], rows["batched"]
    assert batched.compute_usd_per_month == pytest.approx(one.compute_usd_per_month * 0.25 / 0.9)
    assert batched.latency_s is not None and batched.latency_s >= 8 * 0.25
    assert one.latency_ok and not batched.latency_ok  # a batch of 8 takes 2 s > 1.5 s
