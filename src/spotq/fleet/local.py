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
from spotq.scaling import make_policy


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

    def start(self) -> LocalFleet:
        self.stack.start()
        try:
            self.autoscaler = self._autoscaler()
            assert self.stack.runtime is not None
            self.stack.runtime.health_checks.append(self.autoscaler.health)
            self.autoscaler.start()
        except BaseException:
            self.stack.stop()
            raise
        return self

    def _autoscaler(self) -> Autoscaler:
        runtime = self.stack.runtime
        assert runtime is not None
        opts = self.fleet_options
        pool = WorkerPool(
            app_ref=self.app_ref,
            stack_config_path=self.stack.stack_config_path,
            run_dir=self.stack.data_dir / "workers",
            clock=self.clock,
            extra_env={"HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"},
            batch_size=opts.batch_size,
        )
        policy = make_policy(
            "spotq-default",
            target_backlog_per_worker=float(self.app.options.batch_size),
            min_workers=opts.min_workers,
            max_workers=opts.max_workers,
            scale_in_cooldown_s=opts.idle_s,
            idle_to_zero_s=opts.idle_s,
        )
        return Autoscaler(
            pool=pool,
            policy=policy,
            queues=runtime.service.queues,
            clock=self.clock,
            max_workers=opts.max_workers,
            dead_letters=runtime.dead_letters,
            interval_s=opts.interval_s,
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
