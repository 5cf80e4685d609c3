"""`spotq submit`, `spotq status`, `spotq result`, `spotq dlq`: thin commands over the job API."""

from __future__ import annotations

import contextlib
import functools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from rich.table import Column, Table

from spotq.api.client import JobsClient
from spotq.errors import SpotqError
from spotq.jobs import JobState
from spotq.tables import cell, print_table

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_API_URL = "http://127.0.0.1:8000"
API_FILE = "api.json"  # written by `spotq up` into its data dir


def _clean_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Show a SpotqError as a one-line error (exit 1), never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except SpotqError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def _api_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option(
        "--api-key", envvar="SPOTQ_API_KEY", default=None, help="Bearer key [env SPOTQ_API_KEY]."
    )(fn)
    fn = click.option(
        "--api-url",
        envvar="SPOTQ_API_URL",
        default=None,
        help="Job API URL [env SPOTQ_API_URL; default: the one `spotq up` wrote, else "
        f"{DEFAULT_API_URL}].",
    )(fn)
    fn = click.option(
        "--data-dir", type=click.Path(path_type=Path), default=Path(".spotq"), show_default=True
    )(fn)
    return fn


def _client(api_url: str | None, api_key: str | None, data_dir: Path) -> JobsClient:
    if api_url is None:
        api_url = DEFAULT_API_URL
        with contextlib.suppress(OSError, ValueError, KeyError):
            api_url = str(json.loads((data_dir / API_FILE).read_text())["url"])
    return JobsClient(api_url, api_key)


def _id_column(header: str = "id") -> Column:
    # Ids are what users copy into the next command: never wrap or shorten them.
    return Column(header, no_wrap=True, min_width=32)


@click.command()
@click.option("--input", "input_json", default=None, help="The job input as a JSON object.")
@click.option("--file", "file_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--priority", type=click.Choice(["normal", "high"]), default="normal")
@click.option("--idempotency-key", default=None)
@_api_options
@_clean_errors
def submit(
    input_json: str | None,
    file_path: Path | None,
    priority: str,
    idempotency_key: str | None,
    api_url: str | None,
    api_key: str | None,
    data_dir: Path,
) -> None:
    """Submit one job (JSON input and/or a file) and print it."""
    try:
        payload = json.loads(input_json) if input_json is not None else None
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--input") from None
    if payload is not None and not isinstance(payload, dict):
        raise click.BadParameter("expected a JSON object", param_hint="--input")
    client = _client(api_url, api_key, data_dir)
    if file_path is not None:
        job = client.upload(file_path.name, file_path.read_bytes(), payload, priority)
    else:
        job = client.submit(payload or {}, priority, idempotency_key)
    click.echo(json.dumps(job, indent=2))


def _stack_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`spotq status --stack NAME`: a deployed AWS stack instead of the local job API."""
    for option in reversed(
        [
            click.option("--stack", default=None, metavar="NAME",
                         help="A deployed stack (CloudFormation stack name) to show."),
            click.option("--stage", default=None, metavar="STAGE",
                         help="With --stack APP: the stack of APP's stage (spotq-APP-STAGE)."),
            click.option("--region", default=None, help="AWS region (with --stack)."),
            click.option("--endpoint-url", default=None,
                         help="One AWS endpoint for every service (with --stack; emulators)."),
            click.option("--json", "as_json", is_flag=True,
                         help="With --stack: print the status as JSON."),
            click.option("--errors", type=click.IntRange(0, 200), default=10, show_default=True,
                         help="With --stack: how many of the workers' last error lines."),
            click.option("--window-min", type=click.IntRange(1, 24 * 60), default=60,
                         show_default=True,
                         help="With --stack: how far back the logs are read, in minutes."),
        ]
    ):  # fmt: skip
        fn = option(fn)
    return fn


def _wide_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--wide", is_flag=True, help="Every column, however wide the table.")(fn)


@click.command()
@click.argument("job_id", required=False)
@click.option("--state", type=click.Choice([s.value for s in JobState]), default=None,
              help="Only jobs in this state.")  # fmt: skip
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@_wide_option
@_api_options
@_stack_options
@_clean_errors
def status(
    job_id: str | None,
    state: str | None,
    limit: int,
    wide: bool,
    api_url: str | None,
    api_key: str | None,
    data_dir: Path,
    stack: str | None,
    stage: str | None,
    region: str | None,
    endpoint_url: str | None,
    as_json: bool,
    errors: int,
    window_min: int,
) -> None:
    """Show one job, or a table of the newest jobs ("N of M"); with --stack, a deployed stack:
    queues, service, scaling decisions, capacity, alarms and the workers' last errors."""
    if stack is not None:
        if job_id is not None or state is not None:
            raise click.UsageError("--stack shows a whole stack: leave out JOB_ID and --state")
        from spotq.aws.status.cli import show_stack
        from spotq.aws.status.gather import StatusOptions

        if stage is not None:
            from spotq.naming import check_stage, stack_name

            stack = stack_name(stack, check_stage(stage))
        options = StatusOptions(errors=errors, window_s=window_min * 60.0)
        show_stack(stack, region=region, endpoint_url=endpoint_url, as_json=as_json,
                   options=options)  # fmt: skip
        return
    if as_json or stage is not None:
        raise click.UsageError("--json and --stage go with --stack")
    client = _client(api_url, api_key, data_dir)
    if job_id is not None:
        click.echo(json.dumps(client.job(job_id), indent=2))
        return
    counts: dict[str, int] = client.call("GET", "/v1/overview")["jobs"]
    total = counts.get(state, 0) if state else sum(counts.values())
    # The listing is oldest first: its last page holds the newest jobs.
    jobs = client.jobs(state=state, limit=limit, offset=max(0, total - limit))["jobs"][::-1]
    table = Table("state", "attempts", "submitted", "file", "last error")
    table.columns.insert(0, _id_column())
    for job in jobs:
        table.add_row(
            cell(job["id"]), cell(job["state"]), cell(job["attempts"]),
            cell(_when(job["submitted_at_s"])), cell(job["filename"]),
            cell(_one_line(job["last_error"])),
        )  # fmt: skip
    table.caption = f"newest {len(jobs)} of {total} {state or ''} jobs".replace("  ", " ")
    if len(jobs) < total:
        table.caption += " (--limit for more)"
    by_state = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
    table.title = f"jobs: {by_state or 'none yet'}"
    print_table(table, wide=wide, drop_first=("submitted", "file", "attempts", "last error"))
    _warn_if_unready(client)


def _when(at_s: float | None) -> str:
    if at_s is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at_s))


def _one_line(text: str | None, limit: int = 200) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _warn_if_unready(client: JobsClient) -> None:
    """Say so when the stack is not ready (crash-looping workers, a queue server restarting)."""
    reply = client.request("GET", "/readyz")
    if reply.status == 503:
        with contextlib.suppress(ValueError, AttributeError):
            detail = str(reply.json().get("detail"))
            click.echo(f"warning: the stack is not ready: {detail}", err=True)


@click.command()
@click.argument("job_id")
@_api_options
@_clean_errors
def result(job_id: str, api_url: str | None, api_key: str | None, data_dir: Path) -> None:
    """Print a finished job's result JSON."""
    click.echo(_client(api_url, api_key, data_dir).result(job_id).decode())


@click.group()
def dlq() -> None:
    """The dead-letter queue: jobs that failed max_receives times."""


@dlq.command("list")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON instead of a table.")
@_wide_option
@_api_options
@_clean_errors
def dlq_list(
    limit: int,
    as_json: bool,
    wide: bool,
    api_url: str | None,
    api_key: str | None,
    data_dir: Path,
) -> None:
    """Show DLQ messages with their job ids and last errors."""
    listing = _client(api_url, api_key, data_dir).call("GET", f"/v1/dlq?limit={limit}")
    if as_json:
        click.echo(json.dumps(listing, indent=2))
        return
    table = Table("state", "attempts", "last error")
    table.columns.insert(0, _id_column("job id"))
    for m in listing["messages"]:
        table.add_row(
            cell(m["job_id"] or "(not a spotq job)"), cell(m["state"]), cell(m["attempts"]),
            cell(_one_line(m["last_error"])),
        )  # fmt: skip
    print_table(table, wide=wide, drop_first=("attempts", "state"))
    click.echo(f"{listing['approximate_depth']} message(s) in the DLQ")


@dlq.command("redrive")
@_api_options
@_clean_errors
def dlq_redrive(api_url: str | None, api_key: str | None, data_dir: Path) -> None:
    """Move DLQ messages back to their queues and set their jobs back to queued."""
    reply = _client(api_url, api_key, data_dir).call("POST", "/v1/dlq:redrive")
    click.echo(f"redriving {len(reply['moved_job_ids'])} job(s)")
    for job_id in reply["moved_job_ids"]:
        click.echo(job_id)
