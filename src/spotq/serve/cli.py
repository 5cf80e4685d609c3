"""`spotq serve APP` (the realtime service) and `spotq stream FILE.wav` (its streaming client)."""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from spotq.app import AppOptions, load_app, with_options
from spotq.errors import SpotqError

if TYPE_CHECKING:
    from spotq.serve.settings import ServeSettings

MIB = 1024 * 1024  # spotq.api.settings has it too, but importing that loads FastAPI


@click.command()
@click.argument("app_ref", metavar="APP")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Bind address; off loopback an API key is required.")  # fmt: skip
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--api-key", envvar="SPOTQ_API_KEY", default=None,
              help="Bearer key clients must send [env SPOTQ_API_KEY].")  # fmt: skip
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Serving processes sharing the port (each loads the model).")  # fmt: skip
@click.option("--socket-fd", type=int, default=None, hidden=True)
@click.option("--drain-s", default=30.0, show_default=True, type=float,
              help="On SIGTERM: time for in-flight requests and streams to finish.")  # fmt: skip
@click.option("--batch-size", type=int, default=None, help="Override the app's batch_size.")
@click.option("--max-batch-wait-ms", type=float, default=None,
              help="Override the app's max_batch_wait_ms.")  # fmt: skip
@click.option("--latency-budget-ms", type=float, default=None,
              help="Override the app's latency_budget_ms (503 past it).")  # fmt: skip
@click.option("--max-streams", default=64, show_default=True, type=int)
@click.option("--max-json-bytes", default=16 * MIB, show_default=True, type=int)
@click.option("--max-upload-bytes", default=100 * MIB, show_default=True, type=int)
@click.option("--max-message-bytes", default=256 * 1024, show_default=True, type=int,
              help="Largest WebSocket message; a larger one closes the stream (1009).")  # fmt: skip
@click.option("--partial-every-ms", default=800.0, show_default=True, type=float,
              help="Audio between partial transcripts; 0 sends finals only.")  # fmt: skip
@click.option("--endpoint-silence-ms", default=400.0, show_default=True, type=float,
              help="Quiet that ends an utterance.")  # fmt: skip
@click.option("--speculate-after-ms", default=120.0, show_default=True, type=float,
              help="Quiet after speech that starts the final's decode before the endpoint; "
              "0 waits for the endpoint.")  # fmt: skip
@click.option("--idle-timeout-s", default=30.0, show_default=True, type=float,
              help="A stream that sends nothing for this long is closed (1008).")  # fmt: skip
def serve(app_ref: str, workers: int, socket_fd: int | None, **params: Any) -> None:
    """Serve APP's handler over HTTP (POST /v1/predict, micro-batched) and its stream handler
    over a WebSocket (/v1/stream); /healthz, /readyz, /metrics. SIGTERM drains, then exits 0."""
    from spotq.serve.server import bind
    from spotq.serve.server import serve as run_server
    from spotq.serve.workers import run_workers

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(message)s")
    logging.getLogger("spotq").setLevel(logging.INFO)  # not the model libraries' chatter
    try:
        app = load_app(app_ref)
        settings = _settings(app.options, params)
    except SpotqError as exc:
        raise click.ClickException(str(exc)) from None
    if socket_fd is not None:  # a child of --workers: serve the inherited socket, quietly
        sock = socket.socket(fileno=socket_fd)
        settings = dataclasses.replace(settings, load_before_listening=True)
        sys.exit(run_server(app, settings, sock, announce=False))
    sock = bind(settings.host, settings.port)
    if workers > 1:
        child_args = _child_args(click.get_current_context())
        sys.exit(run_workers(sock, workers, child_args, settings.api_key))
    sys.exit(run_server(app, settings, sock))


def _settings(app_options: AppOptions, p: dict[str, Any]) -> ServeSettings:
    """ServeSettings from the command's options; --batch-size & co. override the app's."""
    from spotq.serve.settings import ServeSettings, StreamSettings

    overrides = {k: p[k] for k in ("batch_size", "max_batch_wait_ms", "latency_budget_ms")}
    options = with_options(app_options, **{k: v for k, v in overrides.items() if v is not None})
    streams = StreamSettings(
        max_streams=p["max_streams"],
        idle_timeout_s=p["idle_timeout_s"],
        max_message_bytes=p["max_message_bytes"],
        partial_every_ms=p["partial_every_ms"],
        endpoint_silence_ms=p["endpoint_silence_ms"],
        speculate_after_ms=p["speculate_after_ms"],
    )
    return ServeSettings(
        options,
        host=p["host"],
        port=p["port"],
        api_key=p["api_key"],
        drain_s=p["drain_s"],
        max_json_bytes=p["max_json_bytes"],
        max_upload_bytes=p["max_upload_bytes"],
        streams=streams,
    )


def _child_args(ctx: click.Context) -> list[str]:
    """This command's options for a --workers child (the key travels in its environment, not
    on a command line other users can read; the port is the inherited socket's)."""
    args = [str(ctx.params["app_ref"])]
    for name, value in ctx.params.items():
        if name in ("app_ref", "workers", "socket_fd", "api_key", "port") or value is None:
            continue
        args += ["--" + name.replace("_", "-"), str(value)]
    return args


@click.command()
@click.argument("wav", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", default="ws://127.0.0.1:8080/v1/stream", show_default=True)
@click.option("--api-key", envvar="SPOTQ_API_KEY", default=None)
@click.option("--fast", is_flag=True, help="Send as fast as the server takes it, not real time.")
@click.option("--frame-ms", default=100, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print every server message as JSON.")
def stream(
    wav: Path, url: str, api_key: str | None, fast: bool, frame_ms: int, as_json: bool
) -> None:
    """Stream a 16 kHz mono PCM16 WAV to `spotq serve` at real-time pace (or --fast), printing
    partial and final transcripts as they arrive; reconnects once if the server goes away."""
    from spotq.serve.client import StreamOptions, read_wav, stream_audio

    try:
        samples = read_wav(wav)
        options = StreamOptions(url=url, api_key=api_key, realtime=not fast, frame_ms=frame_ms)
        finals = stream_audio(samples, options, on_message=_printer(as_json))
    except SpotqError as exc:
        raise click.ClickException(str(exc)) from None
    if not as_json:
        click.echo(" ".join(f["text"] for f in finals).strip())


def _printer(as_json: bool) -> Callable[[dict[str, Any]], None]:
    def show(message: dict[str, object]) -> None:
        if as_json:
            click.echo(json.dumps(message))
        elif message.get("type") == "partial":
            click.echo(f"  … {message.get('text', '')}", err=True)
        elif message.get("type") == "final":
            click.echo(f"[{message.get('start_s')}–{message.get('end_s')} s] {message['text']}",
                       err=True)  # fmt: skip

    return show
