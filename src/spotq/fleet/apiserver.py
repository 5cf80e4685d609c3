"""The job API served by uvicorn on a background thread, on a port chosen by the OS when 0."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

from spotq.errors import ServiceError

_START_TIMEOUT_S = 30.0


class ApiServer:
    """uvicorn on its own thread and event loop; `stop()` ends it gracefully."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError as exc:
            self._socket.close()
            raise ServiceError(f"the job API cannot bind {host}:{port}: {exc}") from None
        self.host = host
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="spotq-api", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ServiceError("the job API did not start (see the log above)")
            time.sleep(0.02)

    def request_stop(self) -> None:
        """Begin a graceful shutdown without waiting for it (`stop()` waits)."""
        self._server.should_exit = True

    def stop(self) -> None:
        self.request_stop()
        self._thread.join(timeout=30)
        self._socket.close()
