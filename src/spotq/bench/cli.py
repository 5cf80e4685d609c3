"""`spotq bench APP INPUT... --batch-sizes 1,2,4,8`: items/s, per-item seconds and p95 call time
of an app's handler at each batch size, and the `job_s` mapping for `spotq plan`."""

from __future__ import annotations

import os
from typing import Any

import click

from spotq.app import Job, load_app
from spotq.bench.measure import BenchReport, parse_batch_sizes, run_bench
from spotq.errors import SpotqError
from spotq.fleet.inputs import RunInput, plan_inputs


@click.command()
@click.argument("app_ref", metavar="APP")
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True)
@click.option("--batch-sizes", default="1,2,4,8", show_default=True,
              help="Comma-separated batch sizes to compare (each 1..10).")  # fmt: skip
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Jobs per round, cycling over the inputs [default: 4 x the largest size, "
                   "at least one per input].")  # fmt: skip
@click.option("--rounds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Rounds (sizes alternate order; medians reported).")  # fmt: skip
@click.option("--input-json", is_flag=True, help="Each INPUT is a JSON object: the job input.")
def bench(
    app_ref: str,
    inputs: tuple[str, ...],
    batch_sizes: str,
    jobs: int | None,
    rounds: int,
    input_json: bool,
) -> None:
    """Time APP's handler in this process over INPUT... at each batch size (no queue)."""
    try:
        sizes = parse_batch_sizes(batch_sizes)
        planned = plan_inputs(inputs)
        count = jobs or max(len(planned), 4 * max(sizes))
        work = _jobs(planned, count, input_json)
        app = load_app(app_ref)
        click.echo(f"{app.name}: {count} jobs per round, {rounds} round(s), sizes interleaved")
        report = run_bench(app, work, sizes, rounds, on_round=_progress)
    except SpotqError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_render(report))


def _jobs(planned: list[RunInput], count: int, input_json: bool) -> list[Job]:
    """`count` jobs cycling over the inputs, each read once."""
    bodies: list[tuple[str, dict[str, Any], bytes | None]]
    if input_json:
        bodies = [(item.name, item.json_input(), None) for item in planned]
    else:
        bodies = [(item.name, {}, item.path.read_bytes()) for item in planned]
    jobs = []
    for n in range(count):
        name, job_input, data = bodies[n % len(bodies)]
        filename = None if input_json else name
        jobs.append(Job(id=f"bench-{n}", input=job_input, filename=filename, data=data))
    return jobs


def _progress(round_number: int, size: int, seconds: float) -> None:
    click.echo(f"  round {round_number}: batch {size:2d}  {seconds:8.3f} s", err=True)


def _render(report: BenchReport) -> str:
    first = report.results[0]
    lines = [
        f"model load {report.load_s:.2f} s; medians over rounds; load average "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg()),
        f"{'batch':>5} {'items/s':>9} {'per item s':>11} {'p95 call s':>11} "
        f"{'/ batch ' + str(first.batch_size):>10} {'failed':>7}",
    ]
    for result in report.results:
        lines.append(
            f"{result.batch_size:5d} {result.items_per_s:9.2f} {result.per_item_s:11.4f} "
            f"{result.p95_call_s:11.4f} {result.items_per_s / first.items_per_s:10.2f} "
            f"{result.failed:7d}"
        )
    best = report.best()
    pairs = ", ".join(f"{r.batch_size}: {r.per_item_s:.4g}" for r in report.results)
    lines += [
        f"fastest: batch {best.batch_size} ({best.items_per_s / first.items_per_s:.2f}x batch "
        f"{first.batch_size})",
        "for spotq plan, under workload: (seconds per job at each batch size)",
        f"  job_s: {{batch: {{{pairs}}}, batch_size: {best.batch_size}}}",
    ]
    return "\n".join(lines)
