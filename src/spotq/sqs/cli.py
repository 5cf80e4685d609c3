"""`spotq sqs serve`: run the embedded SQS-compatible server in the foreground."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import yaml

from spotq.errors import ConfigError, ServiceError
from spotq.sqs import server
from spotq.sqs.config import ANNOUNCE_PREFIX


@click.group()
def sqs() -> None:
    """The embedded SQS-compatible queue server."""


def _load_credentials(path: Path) -> dict[str, str]:
    """A YAML/JSON map of access key id -> secret access key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"credentials-file: cannot read {path}: {exc}") from exc
    if (
        not isinstance(data, dict)
        or not data
        or not all(isinstance(k, str) and isinstance(v, str) and k and v for k, v in data.items())
    ):
        raise ConfigError(
            f"credentials-file: expected a non-empty map of access key id -> secret in {path}"
        )
    return dict(data)


def _credentials(
    credentials_file: Path | None, access_key: str | None, secret_key: str | None
) -> dict[str, str] | None:
    creds: dict[str, str] = {}
    if credentials_file is not None:
        creds.update(_load_credentials(credentials_file))
    if (access_key is None) != (secret_key is None):
        raise ConfigError("access-key/secret-key: give both or neither")
    if access_key is not None and secret_key is not None:
        creds[access_key] = secret_key
    return creds or None


@sqs.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=9324, show_default=True, type=int, help="Port (0: a free one).")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep queues and messages in DIR/sqs.db (SQLite, WAL). Without it, state is in memory.",
)
@click.option(
    "--sync",
    type=click.Choice(["full", "normal", "off"]),
    default="normal",
    show_default=True,
    help=(
        "Durability. normal: a send is answered after its SQLite commit, so an acknowledged "
        "message survives kill -9 of the server; deletes and standard-queue receives are committed "
        "right after their reply; a power loss may lose the last commits. full: every reply "
        "follows its commit, with an fsync, and survives power loss (slower). off: as normal "
        "but never fsync; a power loss can corrupt the database."
    ),
)
@click.option(
    "--credentials-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="YAML map of access key id -> secret; requests must then be SigV4-signed.",
)
@click.option(
    "--access-key", envvar="SPOTQ_SQS_ACCESS_KEY", show_envvar=True, help="Access key id."
)
@click.option(
    "--secret-key", envvar="SPOTQ_SQS_SECRET_KEY", show_envvar=True, help="Secret access key."
)
@click.option("--region", default="us-east-1", show_default=True, help="Region in queue ARNs.")
@click.option("--stop-on-stdin-eof", is_flag=True, hidden=True)  # a parent process's child
def serve(
    host: str,
    port: int,
    data_dir: Path | None,
    sync: str,
    credentials_file: Path | None,
    access_key: str | None,
    secret_key: str | None,
    region: str,
    stop_on_stdin_eof: bool,
) -> None:
    """Serve the SQS API (JSON 1.0 and query protocols) until interrupted.

    Binds 127.0.0.1 by default; binding any other address requires credentials.
    """
    try:
        config = server.SqsServerConfig(
            host=host,
            port=port,
            data_dir=data_dir,
            sync=sync,
            credentials=_credentials(credentials_file, access_key, secret_key),
            region=region,
        )
        server.serve_forever(config, on_ready=_announce, stop_on_stdin_eof=stop_on_stdin_eof)
    except (ConfigError, ServiceError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def _announce(endpoint_url: str) -> None:
    click.echo(f"{ANNOUNCE_PREFIX}{endpoint_url}", err=False)
    sys.stdout.flush()  # a parent reading the pipe (SqsServerProcess) waits for this line
