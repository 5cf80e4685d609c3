"""The autoscaler loop: observe queues and workers, ask the policy, start or drain workers."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from spotq.atomic_file import write_text_atomic
from spotq.clock import Clock
from spotq.fleet.backoff import StartBackoff
from spotq.fleet.workers import WorkerPool
from spotq.scaling import Observation, ScalingPolicy

if TYPE_CHECKING:
    from spotq.api.dlq import DeadLetters
    from spotq.api.gateway import QueueGateway

log = logging.getLogger("spotq.fleet")


@dataclass(frozen=True)
class FleetSnapshot:
    """What the fleet looked like at one tick (written to fleet.json for `spotq up` watchers)."""

    at_s: float
    visible: int
    in_flight: int
    starting: int
    idle: int
    busy: int
    draining: int
    desired: int
    peak_workers: int


class Autoscaler:
    """Runs `tick()` every `interval_s` on a thread until stopped."""

    def __init__(
        self,
        *,
        pool: WorkerPool,
        policy: ScalingPolicy,
        queues: QueueGateway,
        clock: Clock,
        max_workers: int,
        dead_letters: DeadLetters | None = None,
        interval_s: float = 0.5,
        snapshot_path: Path | None = None,
    ) -> None:
        self.pool, self.policy, self.queues, self.clock = pool, policy, queues, clock
        self.max_workers = max_workers
        self.dead_letters = dead_letters
        self.interval_s = interval_s
        self.snapshot_path = snapshot_path
        self.peak_workers = 0
        self.last: FleetSnapshot | None = None
        self.backoff = StartBackoff()
        self._tick_error: str | None = None
        self._ticks = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> FleetSnapshot:
        self._note_exits()
        depth = self.queues.work_depth()
        counts = self.pool.counts()
        obs = Observation(
            now_s=self.clock.monotonic(),
            visible=depth.visible,
            in_flight=depth.in_flight,
            running=counts.running,
            starting=counts.starting,
            busy=counts.busy,
            arrived=self.queues.sent_total,
            startup_s=self.pool.startup_s(),
        )
        desired = min(self.policy.desired(obs), self.max_workers)
        if desired > obs.workers and self._may_start(counts.starting):
            # While workers crash-loop, one at a time: each failure doubles the wait.
            for _ in range(1 if self.backoff.failures else desired - obs.workers):
                self.pool.start()
        elif desired < obs.workers:
            self.pool.drain_idle(obs.workers - desired)
        self.peak_workers = max(self.peak_workers, len(self.pool.workers))
        self._ticks += 1
        if self.dead_letters is not None and self._ticks % 4 == 0:
            self.dead_letters.reconcile()
        snap = FleetSnapshot(
            self.clock.now(), obs.visible, obs.in_flight, counts.starting, counts.idle,
            counts.busy, counts.draining, desired, self.peak_workers,
        )  # fmt: skip
        self._publish(snap)
        return snap

    @property
    def failure(self) -> str | None:
        """The app cannot start (the same error ended several starts in a row); `spotq run`
        stops with it. The fleet itself keeps retrying with back-off."""
        return self.backoff.app_failure

    def _may_start(self, starting: int) -> bool:
        if self.backoff.failures and starting:  # a trial start is under way
            return False
        return self.backoff.may_start(self.clock.monotonic())

    def health(self) -> str | None:
        """Why the fleet is not healthy (crash-looping workers), or None."""
        return self.backoff.reason(self.clock.monotonic())

    def _note_exits(self) -> None:
        if any(w.ready_seen for w in self.pool.workers) and self.backoff.recovered():
            log.info("workers recovered: a worker is ready again")
        for worker in self.pool.reap():
            if worker.terminated or worker.ready_seen or worker.process.returncode == 0:
                continue
            code = worker.process.returncode
            wait_s = self.backoff.failed(self.clock.monotonic(), code, worker.exit_error())
            log.warning(
                "worker %d exited before ready (%s); %d in a row, next start in %.0f s "
                "(log: %s)", worker.number, self.backoff.last_exit, self.backoff.failures,
                wait_s, worker.log_path,
            )  # fmt: skip

    def _publish(self, snap: FleetSnapshot) -> None:
        if snap != self.last and self.last is not None:
            workers = snap.starting + snap.idle + snap.busy
            previous = self.last.starting + self.last.idle + self.last.busy
            if workers != previous:
                log.info("workers %d -> %d (backlog %d)", previous, workers,
                         snap.visible + snap.in_flight)  # fmt: skip
        self.last = snap
        if self.snapshot_path is not None:
            write_text_atomic(self.snapshot_path, json.dumps(asdict(snap)))

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as exc:  # the queue server restarting, say: one line, not one a tick
                error = f"{type(exc).__name__}: {exc}"
                if self._tick_error is None:
                    log.warning("autoscaler cannot observe the fleet (%s); retrying", error)
                self._tick_error = error
            else:
                if self._tick_error is not None:
                    log.info("autoscaler recovered")
                self._tick_error = None
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def wake(self) -> None:
        """Tick now rather than at the next interval (e.g. right after jobs were submitted)."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="spotq-autoscaler", daemon=True)
        self._thread.start()

    def stop(self, grace_s: float = 30.0, kill_when_empty: bool = False) -> None:
        """Stop deciding, then drain every worker (scale to zero). With `kill_when_empty`, workers
        are not waited for once the queues have nothing visible or in flight (see stop_all)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        self.pool.stop_all(grace_s, self._queues_empty if kill_when_empty else None)

    def _queues_empty(self) -> bool:
        depth = self.queues.work_depth()
        return depth.visible == depth.in_flight == 0
