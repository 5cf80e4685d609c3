"""What `spotq status --stack` shows: plain, frozen records (JSON through `to_json`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class QueueRef:
    """One queue of the stack; `role` is normal, high, dlq or other."""

    role: str
    logical_id: str
    url: str

    @property
    def name(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class StackParts:
    """The resources of one stack that the status reads, by what they are for."""

    stack: str
    stack_status: str
    app: str | None
    queues: tuple[QueueRef, ...] = ()
    cluster: str | None = None
    service: str | None = None  # the service's ARN (its physical ID)
    auto_scaling_groups: tuple[str, ...] = ()
    alarms: tuple[str, ...] = ()
    worker_log_group: str | None = None
    scaler_log_group: str | None = None
    scalable_target: bool = False  # Application Auto Scaling scales the service (target tracking)


@dataclass(frozen=True)
class QueueStatus:
    role: str
    name: str
    visible: int
    in_flight: int
    delayed: int
    oldest_age_s: float | None  # CloudWatch's latest ApproximateAgeOfOldestMessage; None: no data


@dataclass(frozen=True)
class ServiceEvent:
    at_s: float
    message: str


@dataclass(frozen=True)
class ServiceStatus:
    cluster: str
    name: str
    desired: int
    running: int
    pending: int
    rollout: str | None  # the primary deployment's rolloutState, where ECS gives one
    events: tuple[ServiceEvent, ...] = ()  # newest first


@dataclass(frozen=True)
class ScalingDecision:
    """One line of spotq's scaler log: a decision (with why) or a skipped tick (with why)."""

    at_s: float
    event: str
    reason: str
    desired: int | None = None
    previous: int | None = None
    applied: bool | None = None
    error: str | None = None


@dataclass(frozen=True)
class Host:
    instance_id: str
    instance_type: str
    zone: str
    lifecycle_state: str
    health: str


@dataclass(frozen=True)
class CapacityStatus:
    hosts: tuple[Host, ...]
    container_instances: int | None  # ECS container instances registered in the cluster
    spot_interruptions_24h: int | None  # the workers' SpotInterruptions metric; None: no data
    spot_stopped_tasks: (
        int | None
    )  # tasks ECS stopped for a Spot interruption (ECS keeps about an hour)


@dataclass(frozen=True)
class AlarmStatus:
    name: str
    state: str
    reason: str
    since_s: float | None


@dataclass(frozen=True)
class LogLine:
    at_s: float
    stream: str
    message: str


@dataclass(frozen=True)
class StackStatus:
    stack: str
    stack_status: str
    app: str | None
    region: str
    at_s: float
    queues: tuple[QueueStatus, ...]
    service: ServiceStatus | None
    decisions: tuple[ScalingDecision, ...]
    capacity: CapacityStatus
    alarms_watched: int
    alarms_firing: tuple[AlarmStatus, ...]
    errors: tuple[LogLine, ...]
    notes: tuple[str, ...]  # sections that could not be read, one line each

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
