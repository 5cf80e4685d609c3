"""`spotq up` (the embedded stack and an autoscaled local fleet) and `spotq run` (the main job)."""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import threading
import time
import webbrowser
from pathlib import Path
from urllib.parse import quote

import click
from rich.console import Console
from rich.markup import escape

from spotq.atomic_file import write_text_atomic
from spotq.errors import SpotqError
from spotq.fleet.embedded import StackOptions
from spotq.fleet.heartbeat import Heartbeat, heartbeat_line
from spotq.fleet.inputs import plan_inputs
from spotq.fleet.local import FleetOptions, LocalFleet, default_max_workers
from spotq.fleet.runner import RunInterrupted, run_inputs
from spotq.fleet.summary import render

API_FILE = "api.json"  # read by `spotq submit/status/result/dlq` to find this API


@click.command()
@click.argument("app_ref", metavar="APP")
@click.option("--min-workers", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--max-workers", type=click.IntRange(min=1), default=None, help="[default: CPUs]")
@click.option("--host", default="127.0.0.1", show_default=True, help="Job API bind address.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path(".spotq"))
@click.option(
    "--idle-s",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Idle time before an idle worker is drained (and the fleet goes to zero).",
)
@click.option("--api-key", envvar="SPOTQ_API_KEY", default=None,
              help="Required off loopback [env SPOTQ_API_KEY].")  # fmt: skip
@click.option("--open", "open_ui", is_flag=True, help="Open the dashboard in a web browser.")
@click.option("--heartbeat-s", type=click.FloatRange(min=0.5), default=5.0, show_default=True,
              help="How often to print the one-line status (only when it changed).")  # fmt: skip
def up(
    app_ref: str,
    min_workers: int,
    max_workers: int | None,
    host: str,
    port: int,
    data_dir: Path,
    idle_s: float,
    api_key: str | None,
    open_ui: bool,
    heartbeat_s: float,
) -> None:
    """Run APP's embedded stack (queues, job API) and an autoscaled fleet until Ctrl-C."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        fleet = LocalFleet(
            app_ref,
            StackOptions(data_dir=data_dir, host=host, api_port=port, api_key=api_key),
            FleetOptions(min_workers, max_workers or default_max_workers(), idle_s),
        )
        fleet.start()
    except SpotqError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        url = fleet.stack.api_url
        # atomic: `spotq submit` and friends may read it the moment it appears
        write_text_atomic(fleet.stack.data_dir / API_FILE, json.dumps({"url": url}))
        click.echo(f"spotq up: app {fleet.app.name!r}; job API {url} (docs {url}/docs)")
        click.echo(f"dashboard {url}/ui")
        data = fleet.stack.data_dir
        click.echo(f"data in {data}; worker logs in {data / 'workers'}", err=True)
        click.echo("Ctrl-C to drain workers and stop", err=True)
        if open_ui:
            webbrowser.open(f"{url}/ui" + (f"#key={quote(api_key)}" if api_key else ""))
        beat = Heartbeat(heartbeat_s)
        while not stop.wait(0.5):
            if beat.due():
                _beat(fleet, beat)
        click.echo("stopping: draining workers", err=True)
    finally:
        fleet.stop()
        (fleet.stack.data_dir / API_FILE).unlink(missing_ok=True)


def _beat(fleet: LocalFleet, beat: Heartbeat) -> None:
    runtime = fleet.stack.runtime
    snap = fleet.autoscaler.last if fleet.autoscaler is not None else None
    if runtime is None:
        return
    try:
        counts = runtime.service.jobs.count_by_state(runtime.service.app)
    except Exception as exc:  # a heartbeat never stops the stack
        click.echo(f"heartbeat: cannot read the job store: {exc}", err=True)
        return
    line = beat.next_line(heartbeat_line(counts, snap))
    if line is not None:
        click.echo(time.strftime("%H:%M:%S ") + line, err=True)


@click.command()
@click.argument("app_ref", metavar="APP")
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("out"),
              show_default=True, help="One <input name>.json per input goes here.")  # fmt: skip
@click.option("--max-workers", type=click.IntRange(min=1), default=None, help="[default: CPUs]")
@click.option("--input-json", is_flag=True, help="Each INPUT is a JSON object: the job input.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Keep the stack's data here [default: a temporary directory].")  # fmt: skip
@click.option("--skip-done", is_flag=True,
              help="Skip inputs whose OUT/<name>.json exists (resume a run).")  # fmt: skip
@click.option("--batch-size", type=int, default=None,
              help="Jobs per handler call for this run instead of the app's batch_size "
              "(e.g. 10 for many short clips); also the backlog per worker it scales "
              "to.")  # fmt: skip
def run(
    app_ref: str,
    inputs: tuple[str, ...],
    out_dir: Path,
    max_workers: int | None,
    input_json: bool,
    data_dir: Path | None,
    skip_done: bool,
    batch_size: int | None,
) -> None:
    """Run APP over every INPUT on an autoscaled local fleet; exit 1 if any job failed."""
    console = Console(stderr=True)
    try:
        planned = plan_inputs(inputs)
        if skip_done:
            planned = [p for p in planned if not (out_dir / p.out_name).exists()]
            click.echo(f"--skip-done: {len(inputs) - len(planned)} inputs already have "
                       f"results in {out_dir}/; {len(planned)} to run", err=True)  # fmt: skip
            if not planned:
                return
        with tempfile.TemporaryDirectory(prefix="spotq-run-") as tmp:
            fleet = LocalFleet(
                app_ref,
                StackOptions(data_dir=data_dir or Path(tmp), serve_api=False),
                FleetOptions(
                    0, max_workers or default_max_workers(), idle_s=5.0, batch_size=batch_size
                ),
            )
            fleet.start(expected_jobs=len(planned))
            try:
                result = run_inputs(fleet, planned, out_dir, input_json, console)
            finally:
                fleet.stop()
    except RunInterrupted as exc:
        left = exc.total - exc.finished
        click.echo(
            f"\ninterrupted: {exc.finished} of {exc.total} jobs finished ({exc.succeeded} "
            f"succeeded, results in {out_dir}/), {left} not finished. To resume, run the same "
            "command with --skip-done.", err=True,
        )  # fmt: skip
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("\ninterrupted before every input was submitted; nothing was written.", err=True)
        sys.exit(130)
    except SpotqError as exc:
        raise click.ClickException(str(exc)) from None
    Console().print(render(result.summary))
    for name, record in result.failures:
        error = escape(record.last_error or "")
        console.print(f"[red]{escape(name)}[/red]: {record.state.value}: {error}")
    click.echo(f"results in {out_dir}/", err=True)
    if not result.summary.ok:
        sys.exit(1)
