"""`spotq plan SCENARIO.yaml`: cost and capacity of each AWS option, before deploying."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from spotq.errors import SpotqError
from spotq.plan.engine import Plan, plan_scenario
from spotq.plan.report import plan_to_dict, render_plan
from spotq.plan.scenario import load_scenario, scenario_prices


def build_plan(scenario_path: Path, prices_path: Path | None = None) -> Plan:
    """Load the scenario and its prices (snapshot, scenario file, then `prices_path`) and plan."""
    scenario = load_scenario(scenario_path, prices_path)
    return plan_scenario(scenario, scenario_prices(scenario, prices_path))


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable JSON document.")
@click.option(
    "--chart",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a PNG bar chart comparing the options.",
)
@click.option(
    "--prices",
    "prices_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A YAML file overriding any number of the shipped price snapshot.",
)
@click.option("--wide", is_flag=True, help="Every column, however wide the table.")
def plan(
    scenario: Path, as_json: bool, chart: Path | None, prices_path: Path | None, wide: bool
) -> None:
    """Compare Fargate, Fargate Spot, EC2, EC2 Spot, Lambda and GPU hosts for SCENARIO."""
    try:
        result = build_plan(scenario, prices_path)
        if chart is not None:
            from spotq.plan.chart import write_chart

            write_chart(result, chart)
    except SpotqError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(plan_to_dict(result), indent=2))
        return
    render_plan(result, Console(), wide=wide)
    if chart is not None:
        click.echo(f"chart: {chart}")
