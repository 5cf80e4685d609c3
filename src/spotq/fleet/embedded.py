"""The embedded stack on one machine: the SQS server (a child process), the app's queues, the
stores and the job API, all under one data directory. `spotq up` and `spotq run` both start one."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from spotq.app import App
from spotq.clock import Clock, SystemClock
from spotq.fleet.sqs_watch import QueueServerWatch
from spotq.sqs.config import DB_FILE, SqsServerConfig
from spotq.sqs.process import LOG_FILE, SqsServerProcess
from spotq.stack import StackConfig
from spotq.storage.private import private_dir, private_file, write_private

if TYPE_CHECKING:
    from spotq.api.reconciler import ReconcilerThread
    from spotq.api.runtime import ApiRuntime
    from spotq.fleet.apiserver import ApiServer
    from spotq.sqs.server import RunningSqsServer


@dataclass(frozen=True)
class StackOptions:
    """Where and how to run the embedded stack."""

    data_dir: Path
    host: str = "127.0.0.1"
    api_port: int = 0
    sqs_port: int = 0
    api_key: str | None = None
    max_upload_bytes: int = 100 * 1024 * 1024
    # False: no HTTP job API; the caller submits through `runtime.service` in-process and a
    # thread runs the outbox reconciler the API would (`spotq run`: nothing else talks to it,
    # and FastAPI's imports cost ~0.5 CPU-s while the workers load their model).
    serve_api: bool = True


class EmbeddedStack:
    """Starts the parts in order and stops them in reverse; use as a context manager."""

    def __init__(self, app: App, options: StackOptions, clock: Clock | None = None) -> None:
        self.app = app
        self.options = options
        self.clock = clock or SystemClock()
        self.data_dir = options.data_dir.resolve()
        self._sqs: RunningSqsServer | SqsServerProcess | None = None
        self._api: ApiServer | None = None
        self._reconciler: ReconcilerThread | None = None
        self.sqs_watch: QueueServerWatch | None = None
        self.runtime: ApiRuntime | None = None
        self.stack: StackConfig | None = None

    def start(self, on_spawn: Callable[[], None] | None = None) -> EmbeddedStack:
        """Start every part. `on_spawn` runs as soon as the queue server is starting: workers
        launched then import and load their model while the stack comes up, and wait for
        stack.json, which appears once the app's queues exist (before the job API starts)."""
        try:
            return self._start(on_spawn)
        except BaseException:
            self.stop()
            raise

    def _start(self, on_spawn: Callable[[], None] | None) -> EmbeddedStack:
        # 0700: it holds job inputs, results and the stack's config (files inside are 0600).
        private_dir(self.data_dir, tighten=True)
        # A previous stack's config names a server that is gone: no worker may read it.
        self.stack_config_path.unlink(missing_ok=True)
        for name in (DB_FILE, LOG_FILE):  # the queue server's: SQLite's -wal/-shm take this mode
            private_file(self.data_dir / name)
        config = SqsServerConfig(
            host="127.0.0.1", port=self.options.sqs_port, data_dir=self.data_dir
        )
        process = None
        if isinstance(self.clock, SystemClock):
            # Its own process (and GIL): the API's work never delays a worker's receive. It
            # boots while this process imports the modules below (boto3; FastAPI when it serves
            # the job API), which is why they are imported here.
            process = SqsServerProcess(config, self.data_dir)
            self._sqs = process
            process.spawn()
        if on_spawn is not None:
            on_spawn()
        from spotq.api.runtime import build_runtime
        from spotq.api.settings import ApiSettings
        from spotq.queues import ensure_queues, make_sqs_client

        sqs: RunningSqsServer | SqsServerProcess
        if process is not None:
            sqs = process.wait_ready()
        else:  # an injected clock can only drive a server in this process
            from spotq.sqs.server import start_server

            sqs = self._sqs = start_server(config, self.clock)
        self.stack = StackConfig(
            app=self.app.name,
            sqs_endpoint_url=sqs.endpoint_url,
            blob_url=str(self.data_dir / "blobs"),
            jobs_url=f"sqlite:///{self.data_dir / 'jobs.db'}",
            sqs_signed=False,  # our own loopback server, which checks no signatures
        )
        ensure_queues(make_sqs_client(self.stack), self.stack, self.app.options)
        write_private(self.stack_config_path, self.stack.to_json().encode())  # workers go now
        settings = ApiSettings(
            stack=self.stack,
            data_dir=self.data_dir,
            app_options=self.app.options,
            host=self.options.host,
            port=self.options.api_port,
            api_key=self.options.api_key,
            max_upload_bytes=self.options.max_upload_bytes,
        )
        self.runtime = build_runtime(settings, self.clock)
        if isinstance(self._sqs, SqsServerProcess):
            self.sqs_watch = QueueServerWatch(self._sqs, self.clock)
            self.runtime.health_checks.append(self.sqs_watch.health)
            self.sqs_watch.start()
        if self.options.serve_api:
            from spotq.api.app import create_app
            from spotq.fleet.apiserver import ApiServer

            self._api = ApiServer(create_app(settings, self.runtime), settings.host, settings.port)
            self._api.start()
        else:
            from spotq.api.reconciler import ReconcilerThread

            self._reconciler = ReconcilerThread(self.runtime.service, settings.reconcile_interval_s)
            self._reconciler.start()
        return self

    @property
    def stack_config_path(self) -> Path:
        return self.data_dir / "stack.json"

    @property
    def api_url(self) -> str:
        assert self._api is not None, "the stack is not started, or runs no job API"
        return self._api.url

    def stop(self) -> None:
        if self.sqs_watch is not None:
            self.sqs_watch.stop()
        if self._reconciler is not None:
            self._reconciler.stop()
            self._reconciler = None
        if self._api is not None:
            with contextlib.suppress(Exception):
                self._api.stop()
        if self._sqs is not None:
            self._sqs.stop()
        self._api = self._sqs = None

    def __enter__(self) -> EmbeddedStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
