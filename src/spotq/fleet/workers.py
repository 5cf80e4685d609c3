"""Worker subprocesses: start them, read their status files, drain idle ones, reap the dead.

Each worker writes a small JSON status file (see spotq.worker.status): `starting` until its model
is loaded, then `idle` or `busy`, `draining` after SIGTERM, `stopped` at exit. The pool reads it to
tell the autoscaler how many are ready, starting and busy, and to drain only idle workers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from spotq.clock import Clock
from spotq.fleet.environment import worker_environment
from spotq.worker.parent import ENV_PARENT_FD

log = logging.getLogger("spotq.fleet")
# Workers may start with the stack (they load the model meanwhile) and wait this long for its
# stack.json: far more than a stack's start takes, short of a worker waiting forever.
STACK_WAIT_S = 120.0

STARTING, IDLE, BUSY, DRAINING, STOPPED = "starting", "idle", "busy", "draining", "stopped"
KILL_EMPTY_AFTER_S = 0.2  # see WorkerPool.stop_all: a job may be held; time for it to be deleted
_EMPTY_CHECK_S = 0.02  # how often stop_all asks again meanwhile


@dataclass
class Worker:
    """One worker subprocess and what the pool knows about it."""

    number: int
    process: subprocess.Popen[bytes]
    status_path: Path
    log_path: Path
    started_s: float
    log_file: IO[bytes]
    ready_seen: bool = False
    ready_s: float | None = None  # when the pool first saw it ready (pool clock)
    terminated: bool = False  # the pool sent SIGTERM
    stopped_s: float | None = None

    def state(self) -> str:
        if self.process.poll() is not None:
            return STOPPED
        state = self._written_state()
        if state is None:
            return STARTING  # not written yet, or caught mid-rename
        if state in (IDLE, BUSY):
            self.ready_seen = True
        return DRAINING if self.terminated and state != STOPPED else state

    def note_last_status(self) -> None:
        """After exit: a worker that crashed right after it became ready may never have been
        seen ready; its status file still says so (idle, busy or draining)."""
        if self._written_state() in (IDLE, BUSY, DRAINING):
            self.ready_seen = True

    def _written_state(self) -> str | None:
        """The state in the worker's status file (None: not written yet, or caught mid-rename)."""
        try:
            return str(json.loads(self.status_path.read_text())["state"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def exit_error(self) -> str | None:
        """The error the worker printed before exiting (`error: ...`, see spotq.worker.cli), or
        None (killed by a signal, or it said nothing)."""
        for line in reversed(self.log_tail(8000).splitlines()):
            if line.startswith("error: "):
                return line.removeprefix("error: ").strip()[:500]
        return None

    def log_tail(self, max_bytes: int = 2000) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return ""
        return data[-max_bytes:].decode("utf-8", "replace")


@dataclass(frozen=True)
class PoolCounts:
    starting: int
    idle: int
    busy: int
    draining: int

    @property
    def running(self) -> int:
        return self.idle + self.busy


@dataclass
class WorkerPool:
    """Starts `spotq worker` subprocesses for one app and tracks them."""

    app_ref: str
    stack_config_path: Path
    run_dir: Path
    clock: Clock
    extra_env: dict[str, str] = field(default_factory=dict)
    batch_size: int | None = None  # the workers' handler batch size instead of the app's own
    workers: list[Worker] = field(default_factory=list)
    finished: list[Worker] = field(default_factory=list)
    _next_number: int = 0
    _parent_fds: tuple[int, int] | None = None  # see spotq.worker.parent

    def _parent_read_fd(self) -> int:
        """The read end every worker watches; this process holds the write end until it exits,
        so workers end with it however it ends."""
        if self._parent_fds is None:
            self._parent_fds = os.pipe()
        return self._parent_fds[0]

    def command(self, status_path: Path) -> list[str]:
        command = [
            sys.executable, "-m", "spotq.cli", "worker", self.app_ref,
            "--stack-config", str(self.stack_config_path),
            "--stack-wait-s", str(STACK_WAIT_S),
            "--status-file", str(status_path),
        ]  # fmt: skip
        if self.batch_size is not None:
            command += ["--batch-size", str(self.batch_size)]
        return command

    def start(self) -> Worker:
        self._next_number += 1
        n = self._next_number
        status_path = self.run_dir / f"worker-{n}.status.json"
        log_path = self.run_dir / f"worker-{n}.log"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_path.open("wb")
        read_fd = self._parent_read_fd()
        env = {**worker_environment(os.environ), **self.extra_env, ENV_PARENT_FD: str(read_fd)}
        process = subprocess.Popen(
            self.command(status_path),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            pass_fds=(read_fd,),
            umask=0o077,  # its logs and status file are private, like the rest of the data dir
        )
        worker = Worker(n, process, status_path, log_path, self.clock.monotonic(), log_file)
        self.workers.append(worker)
        log.info("started worker %d (pid %d)", n, process.pid)
        return worker

    def counts(self) -> PoolCounts:
        states = [w.state() for w in self.workers]
        now_s = self.clock.monotonic()
        for worker in self.workers:
            if worker.ready_seen and worker.ready_s is None:
                worker.ready_s = now_s
        return PoolCounts(
            starting=states.count(STARTING),
            idle=states.count(IDLE),
            busy=states.count(BUSY),
            draining=states.count(DRAINING),
        )

    def startup_s(self) -> float:
        """Median seconds from launch to ready over the workers seen ready (0: none yet); as
        exact as the interval at which counts() is called."""
        every = (*self.finished, *self.workers)
        times = sorted(w.ready_s - w.started_s for w in every if w.ready_s is not None)
        return times[len(times) // 2] if times else 0.0

    def drain_idle(self, count: int) -> int:
        """SIGTERM up to `count` idle workers (never a busy one); return how many."""
        drained = 0
        for worker in self.workers:
            if drained >= count:
                break
            if worker.state() == IDLE:
                self._terminate(worker)
                drained += 1
        return drained

    def _terminate(self, worker: Worker) -> None:
        if not worker.terminated:
            worker.terminated = True
            with contextlib.suppress(ProcessLookupError):
                worker.process.send_signal(signal.SIGTERM)

    def reap(self) -> list[Worker]:
        """Forget workers that exited; return them (a crash shows as a non-zero return code)."""
        gone = [w for w in self.workers if w.process.poll() is not None]
        for worker in gone:
            worker.note_last_status()
            worker.stopped_s = self.clock.monotonic()
            worker.log_file.close()
            self.workers.remove(worker)
            self.finished.append(worker)
            if worker.process.returncode != 0 and worker.ready_seen and not worker.terminated:
                log.warning("worker %d exited with %s", worker.number, worker.process.returncode)
        return gone

    def stop_all(self, grace_s: float, holds_nothing: Callable[[], bool] | None = None) -> None:
        """SIGTERM every worker, wait up to `grace_s` for them to drain, then SIGKILL the rest.

        `holds_nothing` (e.g. "the queues have no message visible or in flight") lets the pool
        kill the workers at once when it returns True, or when it does KILL_EMPTY_AFTER_S after
        SIGTERM: no worker holds a job then, they are only sitting out their long poll (the end
        of `spotq run`, which waited 0.2 s for nothing before)."""
        for worker in self.workers:
            self._terminate(worker)
        if holds_nothing is not None:
            empty = self._until_empty(holds_nothing)
            if empty:
                for worker in self.workers:
                    if worker.process.poll() is None:
                        worker.process.kill()
        deadline = self.clock.monotonic() + grace_s
        for worker in list(self.workers):
            try:
                worker.process.wait(timeout=max(0.0, deadline - self.clock.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
        self.reap()

    def _until_empty(self, holds_nothing: Callable[[], bool]) -> bool:
        """Whether no worker holds a job (then none is worth waiting for), asked again every
        _EMPTY_CHECK_S for up to KILL_EMPTY_AFTER_S while workers run: a job's delete may still
        be on its way."""
        for _ in range(round(KILL_EMPTY_AFTER_S / _EMPTY_CHECK_S)):
            if holds_nothing():
                return True
            if not self._any_running():
                break
            time.sleep(_EMPTY_CHECK_S)
        return holds_nothing()

    def _any_running(self) -> bool:
        return any(worker.process.poll() is None for worker in self.workers)

    def worker_seconds(self) -> float:
        now_s = self.clock.monotonic()
        every: Sequence[Worker] = [*self.finished, *self.workers]
        return sum((w.stopped_s or now_s) - w.started_s for w in every)
