"""`spotq status --stack NAME`: the command body (the `status` command itself lives in
spotq/api/cli.py, whose options without --stack show the local stack's jobs)."""

from __future__ import annotations

import time

import click
from rich.console import Console

from spotq.aws.session import AwsConfig
from spotq.aws.status.gather import Clients, StatusOptions, gather
from spotq.aws.status.render import show, to_json
from spotq.errors import SpotqError


def show_stack(
    stack: str,
    *,
    region: str | None,
    endpoint_url: str | None,
    as_json: bool,
    options: StatusOptions,
) -> None:
    """Read the stack and print it; any SpotqError is one line (exit 1), never a traceback."""
    try:
        clients = Clients.connect(AwsConfig(region=region, endpoint_url=endpoint_url))
        status = gather(clients, stack, time.time(), options)
    except SpotqError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(to_json(status))
    else:
        show(status, Console(highlight=False))
