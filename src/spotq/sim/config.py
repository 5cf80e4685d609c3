"""The simulator's own configuration: plain numbers, no dependence on the scenario file or plan."""

from __future__ import annotations

from dataclasses import dataclass

from spotq.errors import ConfigError


@dataclass(frozen=True)
class HostConfig:
    """EC2 capacity: tasks wait for a host when no slot is free; hosts are billed, not tasks."""

    tasks_per_host: int
    host_price_per_hour_usd: float
    # capacity provider notices waiting tasks + EC2 boot + ECS agent registration
    host_delay_s: float = 135.0
    instance_warmup_s: float = 300.0  # no further host launch while a new one is warming up
    capacity_target_pct: float = 100.0
    host_scale_in_s: float = 900.0  # CAS scale-in: 15 one-minute datapoints below target


@dataclass(frozen=True)
class SimConfig:
    """Everything the engine needs besides the arrivals and the policy."""

    price_per_task_hour_usd: float
    evaluation_interval_s: float = 15.0
    horizon_s: float | None = None  # None: the last arrival
    drain_limit_s: float = 6 * 3600.0  # keep simulating after the horizon until jobs finish
    visibility_timeout_s: float = 300.0
    max_receives: int = 3
    startup_s: float = 60.0  # decision → worker takes its first job (task start, pull, load)
    min_billed_s: float = 60.0
    spot_interruptions_per_hour: float = 0.0
    spot_notice_s: float = 120.0
    spot_drain: bool = True
    latency_target_s: float | None = None
    lower_bound_price_per_hour_usd: float | None = None  # default: price_per_task_hour_usd
    hosts: HostConfig | None = None  # None: Fargate (per-task billing, no host wait)
    max_workers: int = 1000  # safety cap on what any policy may launch
    seed: int = 0

    def __post_init__(self) -> None:
        checks = {
            "price_per_task_hour_usd": self.price_per_task_hour_usd >= 0,
            "evaluation_interval_s": self.evaluation_interval_s > 0,
            "visibility_timeout_s": self.visibility_timeout_s > 0,
            "max_receives": self.max_receives >= 1,
            "startup_s": self.startup_s >= 0,
            "min_billed_s": self.min_billed_s >= 0,
            "spot_interruptions_per_hour": self.spot_interruptions_per_hour >= 0,
            "max_workers": self.max_workers >= 1,
        }
        for key, ok in checks.items():
            if not ok:
                raise ConfigError(f"{key}: invalid value {getattr(self, key)!r}")

    @property
    def lower_bound_price(self) -> float:
        """Cheapest price per task-hour, for the clairvoyant lower bound."""
        if self.lower_bound_price_per_hour_usd is not None:
            return self.lower_bound_price_per_hour_usd
        return self.price_per_task_hour_usd
