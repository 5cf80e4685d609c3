"""`spotq simulate SCENARIO.yaml`: replay the workload against each scaling policy."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console

from spotq.errors import SpotqError
from spotq.plan.scenario import Scenario, load_scenario
from spotq.sim.adapter import plan_simulation
from spotq.sim.compare import Comparison, compare
from spotq.sim.report import as_json, legend, observation_notes, table, verdict
from spotq.tables import print_table

# Columns dropped, in this order, until the table fits the terminal (--wide keeps them all).
DROP_FIRST = (
    "p99 s", "p50 s", "worker-h", "retried", "never served", "$/1k jobs", "× start-up bound",
    "max backlog",
)  # fmt: skip


@click.command("simulate")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json_flag", is_flag=True, help="Print the results as JSON.")
@click.option(
    "--plots",
    "plots_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write backlog, workers and cumulative cost PNGs into this directory.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a self-contained HTML report (table and plots).",
)
@click.option(
    "--prices",
    "prices_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A YAML file overriding any price of the shipped snapshot.",
)
@click.option("--wide", is_flag=True, help="Every column, however wide the table.")
def simulate(
    scenario: Path,
    as_json_flag: bool,
    wide: bool,
    plots_dir: Path | None,
    report_path: Path | None,
    prices_path: Path | None,
) -> None:
    """Simulate SCENARIO's workload under each scaling policy and compare cost and latency."""
    loaded = _load(scenario)
    if loaded.workload.is_realtime:  # a service: requests against the service policies
        _simulate_realtime(loaded, prices_path, as_json_flag)
        return
    try:
        plan = plan_simulation(loaded, prices_path)
        with Console(stderr=True).status(f"simulating {plan.scenario_name} under each policy…"):
            comparison = compare(plan)
        _outputs(comparison, plots_dir, report_path)
    except SpotqError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # --plots or --report not writable
        raise click.ClickException(f"cannot write {exc.filename}: {exc.strerror}") from None
    if as_json_flag:
        click.echo(json.dumps(as_json(comparison), indent=2))
        return
    console = Console(file=sys.stdout)
    print_table(table(comparison), wide=wide, drop_first=DROP_FIRST, console=console)
    console.print("observation path simulated, per policy (as deployed):", highlight=False)
    for note in observation_notes(comparison):
        console.print(f"  {note}", markup=False, highlight=False)
    console.print(legend(comparison), style="dim", markup=False, highlight=False)
    console.print(verdict(comparison), markup=False)


def _outputs(comparison: Comparison, plots_dir: Path | None, report_path: Path | None) -> None:
    if plots_dir is not None:
        from spotq.extras import require
        from spotq.sim.plots import write_plots

        require("matplotlib", "--plots")

        write_plots(comparison, plots_dir)
    if report_path is not None:
        from spotq.sim.html import render_html

        report_path.write_text(render_html(comparison), encoding="utf-8")


def _load(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except SpotqError as exc:
        raise click.ClickException(str(exc)) from None


def _simulate_realtime(scenario: Scenario, prices_path: Path | None, as_json_flag: bool) -> None:
    from spotq.sim.realtime import policies, simulate_realtime
    from spotq.sim.realtime_report import realtime_json, realtime_table
    from spotq.sim.realtime_setup import realtime_config

    try:
        config = realtime_config(scenario, prices_path)
    except SpotqError as exc:
        raise click.ClickException(str(exc)) from None
    results = [simulate_realtime(config, policy) for policy in policies(config)]
    if as_json_flag:
        click.echo(json.dumps(realtime_json(config, results), indent=2))
        return
    Console(file=sys.stdout, width=180).print(realtime_table(config, results))
