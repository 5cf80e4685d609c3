"""`spotq simulate` end to end on a small scenario file: table, JSON, plots, HTML, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from spotq.cli import cli

SCENARIO = """
name: tiny
workload:
  arrival: {kind: poisson, jobs_per_day: 2000}
  job_s: 20
task: {vcpu: 1, memory_gib: 2}
latency_target_s: 300
options: [fargate-spot]
simulate:
  duration_s: 7200
  max_workers: 4
  policies:
    - spotq-default
    - name: keda-sqs
      params: {queue_length: 2}
      label: keda-2
    - copilot-latency
"""


def write(tmp_path: Path, text: str = SCENARIO) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_simulate_prints_the_comparison_with_the_lower_bound(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["simulate", str(write(tmp_path))])
    assert result.exit_code == 0, result.output
    expected = ("spotq-default", "keda-2", "copilot-latency", "busy-time floor",
                "start-up-aware bound", "observation path simulated", "2026-11-22")  # fmt: skip
    for text in expected:
        assert text in result.output


def test_simulate_json_plots_and_report(tmp_path: Path) -> None:
    plots, report = tmp_path / "plots", tmp_path / "report.html"
    args = [
        "simulate",
        str(write(tmp_path)),
        "--json",
        "--plots",
        str(plots),
        "--report",
        str(report),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [p["policy"] for p in data["policies"]] == ["spotq-default", "keda-2", "copilot-latency"]
    ours = data["policies"][0]
    assert ours["jobs"] > 100 and ours["completed"] == ours["jobs"]
    assert ours["cost_usd"] >= data["lower_bound_usd"] > 0
    assert sorted(p.name for p in plots.iterdir()) == ["backlog.png", "cost.png", "workers.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in plots.iterdir())
    html = report.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 3 and "keda-2" in html
    assert 'src="http' not in html  # self-contained


def test_simulate_names_a_bad_key(tmp_path: Path) -> None:
    bad = SCENARIO.replace("max_workers: 4", "max_workers: 4\n  max_wokers: 2")
    result = CliRunner().invoke(cli, ["simulate", str(write(tmp_path, bad))])
    assert result.exit_code != 0
    assert "simulate.max_wokers" in result.output and "Traceback" not in result.output


def test_simulate_names_an_unknown_policy(tmp_path: Path) -> None:
    bad = SCENARIO.replace("- copilot-latency", "- hpa-magic")
    result = CliRunner().invoke(cli, ["simulate", str(write(tmp_path, bad))])
    assert result.exit_code != 0
    assert "hpa-magic" in result.output and "spotq-default" in result.output


def test_simulate_replays_a_realtime_workload_against_the_service_policies(
    tmp_path: Path,
) -> None:
    realtime = SCENARIO.replace(
        "  arrival: {kind: poisson, jobs_per_day: 2000}\n  job_s: 20",
        "  rps_per_task: 8\n  peak_rps: 40",
    )
    result = CliRunner().invoke(cli, ["simulate", str(write(tmp_path, realtime))])
    assert result.exit_code == 0, result.output
    assert "realtime service" in result.output
    assert "alb-request-count" in result.output and "spotq-rps" in result.output


def test_simulate_reports_an_unwritable_plots_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    args = ["simulate", str(write(tmp_path)), "--plots", str(blocker / "plots")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert "cannot write" in result.output and "Traceback" not in result.output


def test_the_table_fits_the_terminal_and_has_a_legend_with_the_slo(tmp_path: Path) -> None:
    narrow = CliRunner().invoke(cli, ["simulate", str(write(tmp_path))], env={"COLUMNS": "90"})
    assert narrow.exit_code == 0, narrow.output
    assert "not shown to fit 90 columns" in narrow.output and "(--wide shows all)" in narrow.output
    assert "SLO miss = jobs whose end-to-end latency exceeded the 300 s target" in narrow.output
    assert "× bound = cost ÷ the busy-time floor" in narrow.output
    table_lines = narrow.output.split("not shown")[0].splitlines()
    assert max(len(line) for line in table_lines) <= 90
    wide = CliRunner().invoke(cli, ["simulate", str(write(tmp_path)), "--wide"])
    assert "p99 s" in wide.output and "not shown" not in wide.output


def test_plots_without_matplotlib_say_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spotq import extras

    monkeypatch.setattr(extras, "find_spec", lambda name: None)
    result = CliRunner().invoke(cli, ["simulate", str(write(tmp_path)), "--plots", "p"])
    assert result.exit_code == 1
    assert "--plots needs matplotlib: pip install 'spotq[plot]'" in result.output
    assert "Traceback" not in result.output
