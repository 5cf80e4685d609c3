"""A local fleet: the embedded stack plus worker processes sized by the autoscaler."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from spotq.app import load_app, with_batch_size
from spotq.clock import Clock, SystemClock
from spotq.errors import ConfigError
from spotq.fleet.autoscaler import Autoscaler
from spotq.fleet.embedded import EmbeddedStack, StackOptions
from spotq.fleet.workers import WorkerPool
from spotq.scaling import Observation, ScalingPolicy, make_policy


def default_max_workers() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class FleetOptions:
    """How many workers, how fast to shed them, how long a drain may take."""

    min_workers: int = 0
    max_workers: int = field(default_factory=default_max_workers)
    idle_s: float = 30.0  # scale-in cooldown and the idle time before scaling to zero
    interval_s: float = 0.5
    grace_s: float = 30.0
    batch_size: int | None = None  # this fleet's handler batch size instead of the app's own

    def __post_init__(self) -> None:
        if not 0 <= self.min_workers <= self.max_workers or self.max_workers < 1:
            raise ConfigError(
                f"workers: expected 0 <= --min-workers ({self.min_workers}) <= --max-workers "
                f"({self.max_workers}) and --max-workers >= 1"
            )


def resolve_app_ref(ref: str) -> str:
    """An app file path made absolute so worker processes find it whatever their cwd."""
    target, sep, attr = ref.partition(":")
    if target.endswith(".py") or Path(target).is_file():
        return str(Path(target).resolve()) + sep + attr
    return ref


class LocalFleet:
    """Start with `start()` (or `with`); `stop()` drains every worker, then stops the stack."""

    def __init__(
        self,
        app_ref: str,
        stack_options: StackOptions,
        fleet_options: FleetOptions,
        clock: Clock | None = None,
    ) -> None:
        self.app_ref = resolve_app_ref(app_ref)
        self.app = load_app(self.app_ref, runnable=True)  # no handler: refused before any job
        if fleet_options.batch_size is not None:  # checked with the app's other options
            self.app.options = with_batch_size(self.app.options, fleet_options.batch_size)
        self.fleet_options = fleet_options
        self.clock = clock or SystemClock()
        self.stack = EmbeddedStack(self.app, stack_options, self.clock)
        self.autoscaler: Autoscaler | None = None

    def start(self, expected_jobs: int = 0) -> LocalFleet:
        """Start the stack and the autoscaler. The workers the policy wants for `expected_jobs`
        (the inputs `spotq run` is about to submit) or for none (min_workers) are started with
        the queue server, so they import and load the model while the stack comes up."""
        pool, policy = self._pool(), self._policy()
        try:
            self.stack.start(on_spawn=lambda: self._prewarm(pool, policy, expected_jobs))
            self.autoscaler = self._autoscaler(pool, policy)
            assert self.stack.runtime is not None
            self.stack.runtime.health_checks.append(self.autoscaler.health)
            self.autoscaler.start()
        except BaseException:
            pool.stop_all(self.fleet_options.grace_s)  # started workers hold no job yet
            self.stack.stop()
            raise
        return self

    def _pool(self) -> WorkerPool:
        return WorkerPool(
            app_ref=self.app_ref,
            stack_config_path=self.stack.stack_config_path,
            run_dir=self.stack.data_dir / "workers",
            clock=self.clock,
            extra_env={"HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"},
            batch_size=self.fleet_options.batch_size,
        )

    def _policy(self) -> ScalingPolicy:
        opts = self.fleet_options
        return make_policy(
            "spotq-default",
            target_backlog_per_worker=float(self.app.options.batch_size),
            min_workers=opts.min_workers,
            max_workers=opts.max_workers,
            scale_in_cooldown_s=opts.idle_s,
            idle_to_zero_s=opts.idle_s,
        )

    def _prewarm(self, pool: WorkerPool, policy: ScalingPolicy, expected_jobs: int) -> None:
        """Start the workers the policy wants for `expected_jobs` queued jobs and none running
        (the autoscaler's first decision, made before the jobs are submitted)."""
        obs = Observation(self.clock.monotonic(), visible=expected_jobs, in_flight=0, running=0)
        for _ in range(min(policy.desired(obs), self.fleet_options.max_workers)):
            pool.start()

    def _autoscaler(self, pool: WorkerPool, policy: ScalingPolicy) -> Autoscaler:
        runtime = self.stack.runtime
        assert runtime is not None
        return Autoscaler(
            pool=pool,
            policy=policy,
            queues=runtime.service.queues,
            clock=self.clock,
            max_workers=self.fleet_options.max_workers,
            dead_letters=runtime.dead_letters,
            interval_s=self.fleet_options.interval_s,
            snapshot_path=self.stack.data_dir / "fleet.json",
        )

    def stop(self) -> None:
        if self.autoscaler is not None:
            self.autoscaler.stop(self.fleet_options.grace_s)
        self.stack.stop()

    def __enter__(self) -> LocalFleet:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
