"""uvicorn with a drain: SIGTERM (or a first Ctrl-C) fails readiness at once, stops accepting
connections, lets in-flight requests finish and open streams send their last final and close
with 1001, then exits 0 — all within `drain_s`. A second signal stops at once."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sys
import time
from types import FrameType

import uvicorn

from spotq.app import App
from spotq.serve.app import create_serve_app
from spotq.serve.runtime import ServeRuntime
from spotq.serve.settings import ServeSettings

log = logging.getLogger("spotq.serve")
_POLL_S = 0.05


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, runtime: ServeRuntime, drain_s: float) -> None:
        super().__init__(config)
        self.runtime, self.drain_s = runtime, drain_s
        self.exit_code = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain_task: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._loop is None or self._drain_task is not None:
            super().handle_exit(sig, frame)  # not started yet, or a second signal: stop now
            return
        self._loop.call_soon_threadsafe(self._begin_drain)

    def _begin_drain(self) -> None:
        if self._drain_task is None:
            self._drain_task = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        started = time.monotonic()
        rt = self.runtime
        rt.draining.set()  # /readyz fails, streams flush and close 1001, no new streams
        for server in getattr(self, "servers", []):
            server.close()  # new connections are refused from here on
        _log("draining", in_flight=rt.in_flight, streams=len(rt.streams), drain_s=self.drain_s)
        while not rt.idle and time.monotonic() - started < self.drain_s:
            await asyncio.sleep(_POLL_S)
        left_s = self.drain_s - (time.monotonic() - started)
        self.config.timeout_graceful_shutdown = max(1, int(left_s))
        _log("drained", in_flight=rt.in_flight, streams=len(rt.streams),
             seconds=round(time.monotonic() - started, 3))  # fmt: skip
        self.should_exit = True

    async def on_tick(self, counter: int) -> bool:
        if self.runtime.load_error is not None:
            self.exit_code = 1
            return True
        return await super().on_tick(counter)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before uvicorn starts so port 0 can be announced."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(
    app: App, settings: ServeSettings, sock: socket.socket | None = None, announce: bool = True
) -> int:
    """Run the service until drained; returns the exit status (0 after a clean drain)."""
    sock = sock or bind(settings.host, settings.port)
    runtime = ServeRuntime(app, settings)
    streams = settings.streams
    config = uvicorn.Config(
        create_serve_app(app, settings, runtime),
        log_level="warning",
        access_log=False,
        ws_max_size=streams.max_message_bytes,
        ws_ping_interval=streams.ping_interval_s,
        ws_ping_timeout=streams.ping_interval_s,
        ws_per_message_deflate=False,  # PCM does not compress; deflate costs CPU per frame
        timeout_keep_alive=75,  # above the ALB idle timeout's default, so the ALB closes first
    )
    server = DrainingServer(config, runtime, settings.drain_s)
    host, port = sock.getsockname()[:2]
    if announce:
        _log("listening", url=f"http://{_url_host(host)}:{port}", app=app.name)
    server.run(sockets=[sock])
    _log("stopped", exit_code=server.exit_code)
    return server.exit_code


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _log(event: str, **fields: object) -> None:
    """One JSON line on stdout: supervisors and tests read `listening` for the URL."""
    print(json.dumps({"event": event, **fields}), file=sys.stdout, flush=True)
