"""`spotq sqs serve` in a child process: the embedded stack's queue server with its own GIL, so
that the job API's work in the parent never delays a worker's receive or delete.

The child stops when its stdin reaches end-of-file, which is what happens when the parent closes
the pipe in stop() or dies in any way (even kill -9): a server never outlives its stack and never
holds the data dir's lock for a stack that is gone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from spotq.errors import ServiceError
from spotq.sqs.config import ANNOUNCE_PREFIX, SqsServerConfig

LOG_FILE = "sqs-server.log"


class SqsServerProcess:
    """Start with start(); `endpoint_url` is known once it returns; stop() ends the child."""

    def __init__(self, config: SqsServerConfig, log_dir: Path) -> None:
        if config.credentials is not None:
            raise ValueError("a child SQS server takes no credentials (it binds loopback)")
        self.config = config
        self.log_path = log_dir / LOG_FILE
        self._proc: subprocess.Popen[str] | None = None
        self._url: str | None = None
        self.stopped = False  # stop() was called: it is down on purpose, not to be restarted

    @property
    def endpoint_url(self) -> str:
        if self._url is None:
            raise ServiceError("the SQS server process is not started")
        return self._url

    def alive(self) -> bool:
        """The child is running (polling also reaps a dead one: no zombie is left)."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def exit_code(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def restart(self, timeout_s: float = 60.0) -> SqsServerProcess:
        """Start a new child on the same port (and data dir) after this one died, so every
        client's endpoint URL stays right. Raises ServiceError if it cannot start."""
        port = urlsplit(self.endpoint_url).port
        self.stop(grace_s=1.0)
        if port is not None:
            self.config = dataclasses.replace(self.config, port=port)
        return self.start(timeout_s)

    def command(self) -> list[str]:
        config = self.config
        argv = [sys.executable, "-m", "spotq.cli", "sqs", "serve", "--host", config.host]
        argv += ["--port", str(config.port), "--sync", config.sync, "--region", config.region]
        if config.data_dir is not None:
            argv += ["--data-dir", str(config.data_dir)]
        return [*argv, "--stop-on-stdin-eof"]

    def start(self, timeout_s: float = 60.0) -> SqsServerProcess:
        self.spawn()
        return self.wait_ready(timeout_s)

    def spawn(self) -> None:
        """Launch the child and return at once (it boots meanwhile); see wait_ready()."""
        self.stopped = False
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("ab") as log:
                self._proc = subprocess.Popen(
                    self.command(),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    text=True,
                    # Not in the terminal's process group: Ctrl-C goes to the stack, which
                    # drains its workers (they still need the queue) and then stops this child.
                    start_new_session=True,
                )
        except OSError as exc:
            raise ServiceError(f"the SQS server could not be started: {exc}") from None

    def wait_ready(self, timeout_s: float = 60.0) -> SqsServerProcess:
        """Wait for the spawned child to announce its endpoint; raise ServiceError if it
        exits or stays silent past `timeout_s`."""
        if self._proc is None:
            raise ServiceError("the SQS server process is not started")
        line = _read_line(self._proc, timeout_s)
        if not line.startswith(ANNOUNCE_PREFIX):
            self.stop()
            raise ServiceError(f"the SQS server did not start: {self._log_tail() or line!r}")
        self._url = line[len(ANNOUNCE_PREFIX) :].strip()
        return self

    def stop(self, grace_s: float = 10.0) -> None:
        """Close the child's stdin (it drains and exits); terminate or kill it if it lingers."""
        self.stopped = True
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for step in (_close_stdin, subprocess.Popen.terminate, subprocess.Popen.kill):
            step(proc)
            try:
                proc.wait(grace_s)
                break
            except subprocess.TimeoutExpired:
                continue
        if proc.stdout is not None:
            proc.stdout.close()

    def _log_tail(self, max_chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-max_chars:].strip()
        except OSError:
            return ""


def _close_stdin(proc: subprocess.Popen[str]) -> None:
    if proc.stdin is not None and not proc.stdin.closed:
        with contextlib.suppress(OSError):  # the child is gone already
            proc.stdin.close()


def _read_line(proc: subprocess.Popen[str], timeout_s: float) -> str:
    """The child's first line of output ("" if it exits or stays silent past the timeout)."""
    assert proc.stdout is not None
    out: list[str] = []
    stdout = proc.stdout
    reader = threading.Thread(target=lambda: out.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout_s)
    return out[0] if out else ""
