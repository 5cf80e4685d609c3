"""Scenario files: loading, path resolution and validation errors that name the key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from spotq.errors import ConfigError
from spotq.plan.options import parse_option
from spotq.plan.scenario import load_scenario

MINIMAL = """\
name: minimal
workload:
  jobs_per_day: 100
  job_s: 30
task: {vcpu: 1, memory_gib: 2}
options: [fargate]
"""


def _write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_minimal_scenario_gets_defaults(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, MINIMAL))
    assert scenario.workload.jobs_per_day == 100
    assert scenario.options == [parse_option("fargate")]
    assert scenario.spot.on_demand_base == 0.0
    assert scenario.fixed.alb is False
    assert scenario.task.network_mode == "awsvpc"
    assert scenario.workload.job_s_for(parse_option("fargate")) == 30


def test_paths_resolve_against_the_scenario_file(tmp_path: Path) -> None:
    (tmp_path / "traces").mkdir()
    (tmp_path / "traces" / "t.csv").write_text("timestamp_s,duration_s\n0,5\n10,7\n")
    (tmp_path / "p.yaml").write_text("alb: {hour: 0.03}\n")
    text = MINIMAL.replace("jobs_per_day: 100", "trace_csv: traces/t.csv") + "prices: p.yaml\n"
    scenario = load_scenario(_write(tmp_path, text))
    assert scenario.workload.trace_csv == tmp_path / "traces" / "t.csv"
    assert scenario.prices == tmp_path / "p.yaml"


def test_job_s_per_option_with_a_default(tmp_path: Path) -> None:
    text = MINIMAL.replace("job_s: 30", "job_s: {default: 30, lambda: 45}").replace(
        "[fargate]", "[fargate, lambda]"
    )
    scenario = load_scenario(_write(tmp_path, text))
    assert scenario.workload.job_s_for(parse_option("lambda")) == 45
    assert scenario.workload.job_s_for(parse_option("fargate")) == 30


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "jobs_per_day: 100",
            "jobs_per_day: abc",
            r"workload\.jobs_per_day: expected a number, got 'abc'",
        ),
        (
            "jobs_per_day: 100",
            "jobs_per_day: -5",
            r"workload\.jobs_per_day: expected a number ≥ 0, got -5",
        ),
        (
            "task: {vcpu: 1, memory_gib: 2}",
            "task: {vcpu: 1, memory_gib: 2, cpus: 4}",
            r"task\.cpus: unknown key",
        ),
        ("name: minimal", "name: minimal\ncolour: blue", r"colour: unknown key"),
        (
            "options: [fargate]",
            "options: [fargate, k8s]",
            r"options\[1\]: unknown capacity option 'k8s'",
        ),
        (
            "options: [fargate]",
            "options: [ec2:c9.huge]",
            r"options\[0\]: .*unknown instance type 'c9.huge'",
        ),
        ("options: [fargate]", "options: []", r"options: expected at least 1 item"),
        (
            "options: [fargate]",
            "options: [fargate, fargate]",
            r"options: 'fargate' is listed twice",
        ),
        (
            "job_s: 30",
            "job_s: soon",
            r"workload\.job_s: expected seconds per job \(a number > 0\), got 'soon'",
        ),
        (
            "job_s: 30",
            "job_s: {lambda: 3}",
            r"workload\.job_s\.lambda: not one of the scenario's options",
        ),
        ("job_s: 30", "", r"workload: job_s: required for batch jobs"),
        (
            "task: {vcpu: 1, memory_gib: 2}",
            "task: {vcpu: 1, memory_gib: 2, gpus: many}",
            r"task\.gpus: expected a whole number, got 'many'",
        ),
        (
            "task: {vcpu: 1, memory_gib: 2}",
            "task: {vcpu: 1}",
            r"task\.memory_gib: required key is missing",
        ),
        (
            "jobs_per_day: 100",
            "arrival: {kind: weekly, jobs_per_day: 3}",
            r"workload\.arrival\.kind: expected one of 'poisson', 'diurnal', 'bursty' or 'sparse'",
        ),
        (
            "jobs_per_day: 100",
            "arrival: {kind: poisson, jobs_per_day: 3, burst_jobs: 9}",
            r"workload\.arrival: burst_jobs: not a parameter of kind 'poisson'",
        ),
        (
            "jobs_per_day: 100",
            "arrival: {kind: bursty, jobs_per_day: 3}",
            r"workload\.arrival: bursts_per_day × burst_jobs = 400 exceeds jobs_per_day = 3",
        ),
        (
            "jobs_per_day: 100",
            "jobs_per_day: 100\n  peak_rps: 4",
            r"workload: a workload is either batch jobs or a realtime service",
        ),
        (
            "name: minimal",
            "name: minimal\nspot: {on_demand_base: 1.5}",
            r"spot\.on_demand_base: expected a number ≤ 1, got 1.5",
        ),
        (
            "name: minimal",
            "name: minimal\nfixed: {alb: maybe}",
            r"fixed\.alb: expected true or false, got 'maybe'",
        ),
    ],
)
def test_validation_errors_name_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in MINIMAL
    with pytest.raises(ConfigError, match=message):
        load_scenario(_write(tmp_path, MINIMAL.replace(old, new)))


def test_job_s_keys_may_name_instance_options(tmp_path: Path) -> None:
    text = MINIMAL.replace("job_s: 30", "job_s: {ec2-spot:c5.xlarge: 20, default: 30}").replace(
        "[fargate]", "[fargate, ec2-spot:c5.xlarge]"
    )
    scenario = load_scenario(_write(tmp_path, text))
    assert scenario.workload.job_s_for(parse_option("ec2-spot:c5.xlarge")) == 20


def test_an_override_may_add_the_instance_type_an_option_names(tmp_path: Path) -> None:
    text = MINIMAL.replace("[fargate]", "[ec2:c7g.xlarge]")
    override = tmp_path / "p.yaml"
    override.write_text(
        "ec2_on_demand_linux_hr: {c7g.xlarge: 0.145}\n"
        "ec2_shapes: {c7g.xlarge: [4, 8, 0, null, 0, 4]}\n"
    )
    with pytest.raises(ConfigError, match=r"unknown instance type 'c7g\.xlarge'"):
        load_scenario(_write(tmp_path, text))
    scenario = load_scenario(_write(tmp_path, text), override)
    assert scenario.options[0].instance_type == "c7g.xlarge"


def test_simulate_section_is_validated_by_the_simulators_model(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, MINIMAL + "simulate: {days: 2}\n"))
    assert scenario.simulate is not None and scenario.simulate.horizon_s == 2 * 86_400
    with pytest.raises(ConfigError, match=r"simulate\.bogus: unknown key"):
        load_scenario(_write(tmp_path, MINIMAL + "simulate: {days: 1, bogus: 2}\n"))


def test_missing_workload_is_named(tmp_path: Path) -> None:
    text = "name: x\ntask: {vcpu: 1, memory_gib: 2}\noptions: [fargate]\n"
    with pytest.raises(ConfigError, match=r"workload: required key is missing"):
        load_scenario(_write(tmp_path, text))


def test_empty_workload_says_what_it_needs(tmp_path: Path) -> None:
    text = "name: x\nworkload: {}\ntask: {vcpu: 1, memory_gib: 2}\noptions: [fargate]\n"
    with pytest.raises(ConfigError, match=r"workload: expected one of jobs_per_day, arrival"):
        load_scenario(_write(tmp_path, text))


def test_several_problems_are_all_listed(tmp_path: Path) -> None:
    text = MINIMAL.replace("jobs_per_day: 100", "jobs_per_day: x").replace("vcpu: 1", "vcpu: -1")
    with pytest.raises(ConfigError) as caught:
        load_scenario(_write(tmp_path, text))
    assert "2 problems" in str(caught.value)
    assert "workload.jobs_per_day" in str(caught.value)
    assert "task.vcpu: expected a number > 0, got -1" in str(caught.value)


def test_missing_files_and_bad_yaml(tmp_path: Path) -> None:
    text = MINIMAL.replace("jobs_per_day: 100", "trace_csv: nowhere.csv")
    with pytest.raises(ConfigError, match=r"workload\.trace_csv: file not found"):
        load_scenario(_write(tmp_path, text))
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_scenario(_write(tmp_path, "name: [x\n"))
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_scenario(_write(tmp_path, "- a\n- b\n"))
    with pytest.raises(ConfigError, match="cannot read it"):
        load_scenario(tmp_path / "absent.yaml")


def test_trace_without_durations_needs_job_s(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("timestamp_s\n0\n5\n")
    text = MINIMAL.replace("jobs_per_day: 100", "trace_csv: t.csv").replace("  job_s: 30\n", "")
    with pytest.raises(ConfigError, match=r"workload\.job_s: required, because t\.csv"):
        load_scenario(_write(tmp_path, text))


def test_job_s_measured_per_batch_size(tmp_path: Path) -> None:
    text = MINIMAL.replace("job_s: 30", "job_s: {batch: {1: 0.9, 4: 0.4, 8: 0.25}}")
    workload = load_scenario(_write(tmp_path, text)).workload
    assert workload.job_s_for(parse_option("fargate")) == 0.25  # the cheapest size by default
    assert workload.batch_wait_s() == pytest.approx(0.25 * 8 - 0.25)
    text = MINIMAL.replace("job_s: 30", "job_s: {batch: {1: 0.9, 4: 0.4}, batch_size: 1}")
    workload = load_scenario(_write(tmp_path, text)).workload
    assert workload.job_s_for(parse_option("fargate")) == 0.9
    assert workload.batch_wait_s() == 0.0


@pytest.mark.parametrize(
    ("job_s", "message"),
    [
        ("{batch: {1: 0.9}, batch_size: 4}", r"batch_size 4 was not measured \(batch has 1\)"),
        ("{batch: {0: 0.9}}", r"workload\.job_s: batch\.0\.\[key\]: .*greater than or equal to 1"),
        ("{batch: {11: 0.9}}", r"workload\.job_s: batch\.11\.\[key\]: .*less than or equal to 10"),
        ("{batch: {2: -1}}", r"workload\.job_s: batch\.2: .*greater than 0"),
        ("{batch: {}}", r"workload\.job_s: batch: .*at least 1 item"),
        ("{batch: {2: 1}, fargate: 3}", r"workload\.job_s: fargate: Extra inputs"),
    ],
)
def test_job_s_per_batch_size_errors_name_the_key(tmp_path: Path, job_s: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_scenario(_write(tmp_path, MINIMAL.replace("job_s: 30", f"job_s: {job_s}")))
