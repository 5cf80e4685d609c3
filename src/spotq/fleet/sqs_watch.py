"""Keeps the embedded queue server up: if its child process dies (kill -9, a crash, the OOM
killer), it is started again on the same port over the same durable data directory, with
back-off (0.5 s doubling to 30 s) while it keeps failing. Clients (the job API, workers) see
connection errors meanwhile and retry; readiness reports the outage."""

from __future__ import annotations

import logging
import threading

from spotq.clock import Clock
from spotq.errors import ServiceError
from spotq.sqs.process import SqsServerProcess

log = logging.getLogger("spotq.fleet")


class QueueServerWatch:
    """`check()` once per `interval_s` on a thread (start/stop), or by hand in tests."""

    def __init__(
        self,
        server: SqsServerProcess,
        clock: Clock,
        *,
        interval_s: float = 0.5,
        base_s: float = 0.5,
        cap_s: float = 30.0,
    ) -> None:
        self.server, self.clock = server, clock
        self.interval_s, self.base_s, self.cap_s = interval_s, base_s, cap_s
        self.restarts = 0
        self._failures = 0  # failed restarts in a row
        self._down: str | None = None  # why it is down, while it is
        self._next_try_s = float("-inf")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> None:
        with self._lock:
            if self._stop.is_set() or self.server.stopped or self.server.alive():
                return
            now_s = self.clock.monotonic()
            if self._down is None:
                self._down = f"the queue server exited (code {self.server.exit_code})"
                log.warning("%s; restarting it", self._down)
            if now_s < self._next_try_s:
                return
            try:
                self.server.restart()
            except ServiceError as exc:
                self._failures += 1
                wait_s = min(self.cap_s, self.base_s * 2.0 ** (self._failures - 1))
                self._next_try_s = now_s + wait_s
                self._down = f"the queue server is down and did not restart: {exc}"
                log.warning("%s; next try in %.1f s", self._down, wait_s)
                return
            self.restarts += 1
            self._failures, self._down, self._next_try_s = 0, None, float("-inf")
            log.warning("queue server restarted at %s", self.server.endpoint_url)

    def health(self) -> str | None:
        """Why the queue is not available (None while it runs)."""
        if self.server.alive():
            return None
        if self.server.stopped:
            return "the queue server is stopped"
        return self._down or f"the queue server exited (code {self.server.exit_code}); restarting"

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception:  # never let the watch die: it is what brings the queue back
                log.exception("queue server watch failed; retrying")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="spotq-sqs-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (before the server is stopped on purpose)."""
        with self._lock:
            self._stop.set()
        if self._thread is not None:
            self._thread.join()
