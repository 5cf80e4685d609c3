"""Running the SQS server: in a background thread (tests, the rest of spotq) or in the foreground
(the CLI). The store, the HTTP server and housekeeping all run on one event loop thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import threading
from types import TracebackType

from spotq.clock import Clock, SystemClock
from spotq.errors import ServiceError, StorageError
from spotq.sqs import move_tasks
from spotq.sqs.app import SqsApp
from spotq.sqs.config import ANNOUNCE_PREFIX, DB_FILE, SqsServerConfig, check_config
from spotq.sqs.http import HttpServer, new_event_loop
from spotq.sqs.longpoll import Waiters
from spotq.sqs.service import SqsService
from spotq.sqs.store import SqsStore

__all__ = [  # the config lives in spotq.sqs.config (light to import); named here for callers
    "ANNOUNCE_PREFIX",
    "DB_FILE",
    "RunningSqsServer",
    "SqsServerConfig",
    "check_config",
    "serve_forever",
    "start_server",
]

log = logging.getLogger(__name__)

TICK_S = 0.1


class _Runtime:
    """Everything that lives on the server's loop."""

    def __init__(self, config: SqsServerConfig, clock: Clock) -> None:
        db_path = None
        if config.data_dir is not None:
            config.data_dir.mkdir(parents=True, exist_ok=True)
            db_path = config.data_dir / DB_FILE
        self.store = SqsStore(
            db_path,
            sync=config.sync,
            clock=clock,
            region=config.region,
            account_id=config.account_id,
        )
        self.waiters = Waiters()
        self.store.listeners.append(self.waiters.notify)
        self.app = SqsApp(SqsService(self.store), self.waiters, clock, config.credentials)
        # Deletes and the in-flight marks of standard-queue receives are committed right after their
        # reply is written (SqsStore.after_reply); `full` keeps every commit before its reply.
        self.store.defer_allowed = config.sync != "full"
        self.http = HttpServer(
            self.app, error_response=self.app.http_error, after_response=self.store.flush
        )
        self._ticker: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int) -> int:
        bound = await self.http.start(host, port)
        self._ticker = asyncio.create_task(self._tick_forever())
        return bound

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                self.store.tick()
                move_tasks.run_due(self.store)
            except Exception:
                log.exception("SQS housekeeping failed")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        self.waiters.cancel_all()
        await self.http.stop()
        self.store.close()


class RunningSqsServer:
    """A server running on its own thread and event loop; stop() shuts it down cleanly."""

    def __init__(self, config: SqsServerConfig, clock: Clock) -> None:
        self.config = config
        self._loop = new_event_loop()
        self._runtime: _Runtime | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, name="spotq-sqs", daemon=True)
        self._clock = clock

    @property
    def endpoint_url(self) -> str:
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def store(self) -> SqsStore:
        assert self._runtime is not None
        return self._runtime.store

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._runtime = _Runtime(self.config, self._clock)
            self.port = self._loop.run_until_complete(
                self._runtime.start(self.config.host, self.config.port)
            )
        except BaseException as exc:
            self._error = exc
            if self._runtime is not None:
                self._runtime.store.close()
            self._ready.set()
            self._loop.close()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runtime.stop())
        self._loop.close()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise ServiceError(f"the SQS server could not start: {self._error}") from self._error

    def stop(self) -> None:
        """Close connections, checkpoint the database and end the thread (idempotent)."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)

    def __enter__(self) -> RunningSqsServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_server(config: SqsServerConfig, clock: Clock | None = None) -> RunningSqsServer:
    """Start the server in a background thread; returns once it is accepting connections."""
    check_config(config)
    server = RunningSqsServer(config, clock or SystemClock())
    server.start()
    return server


def serve_forever(
    config: SqsServerConfig, on_ready: object = None, *, stop_on_stdin_eof: bool = False
) -> None:
    """Run in the foreground until SIGINT/SIGTERM (or, with `stop_on_stdin_eof`, until stdin is
    closed: the parent process is done or gone); `on_ready(endpoint_url)` is called once bound."""
    check_config(config)
    try:
        runtime = _Runtime(config, SystemClock())
    except StorageError as exc:
        raise ServiceError(f"the SQS server could not start: {exc}") from exc
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        port = loop.run_until_complete(runtime.start(config.host, config.port))
    except OSError as exc:
        loop.run_until_complete(runtime.stop())
        loop.close()
        raise ServiceError(f"cannot bind {config.host}:{config.port}: {exc}") from exc
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if stop_on_stdin_eof:
        threading.Thread(target=_stop_at_stdin_eof, args=(loop, stop), daemon=True).start()
    if callable(on_ready):
        host = f"[{config.host}]" if ":" in config.host else config.host
        on_ready(f"http://{host}:{port}")
    try:
        loop.run_until_complete(stop.wait())
    finally:
        loop.run_until_complete(runtime.stop())
        loop.close()


def _stop_at_stdin_eof(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    with contextlib.suppress(RuntimeError):  # the loop may be closed already
        loop.call_soon_threadsafe(stop.set)
