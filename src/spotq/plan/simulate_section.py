"""The scenario file's `simulate:` section: how to replay a workload against scaling policies.

Part of the scenario file's schema (spotq.plan.scenario embeds `SimulateSection` as its
`simulate` key); it lives beside it so that planning never imports the simulator, which reads
both. Every field has a
default, so `simulate: {}` runs the shipped policies over one simulated day.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from spotq.scaling.registry import ALL_POLICY_NAMES, POLICY_NAMES

ParamValue = float | int | bool | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicySpec(_Strict):
    """One policy to compare: a registered name and optional constructor parameters."""

    name: str
    params: dict[str, ParamValue] = Field(default_factory=dict)
    label: str | None = None  # shown in tables; defaults to the name

    @field_validator("name")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in ALL_POLICY_NAMES:
            raise ValueError(f"expected one of {', '.join(ALL_POLICY_NAMES)}, got {value!r}")
        return value

    @property
    def display(self) -> str:
        return self.label or self.name


class StartupSection(_Strict):
    """Seconds from a scale-out decision until a worker takes its first job."""

    task_start_s: float = Field(default=30.0, ge=0)  # Fargate/ECS: provisioning to RUNNING
    image_pull_s: float = Field(default=20.0, ge=0)
    model_load_s: float = Field(default=10.0, ge=0)
    # EC2 only (ignored for Fargate options): a new host is needed when no slot is free.
    ec2_boot_s: float = Field(default=60.0, ge=0)
    ecs_register_s: float = Field(default=15.0, ge=0)
    instance_warmup_s: float = Field(default=300.0, ge=0)
    capacity_target_pct: float = Field(default=100.0, gt=0, le=100)
    # How long the ECS capacity provider takes to notice tasks waiting for a host (CAS metric).
    capacity_reaction_s: float = Field(default=60.0, ge=0)


class SpotSection(_Strict):
    """Spot interruptions: a Poisson rate per worker-hour, a notice, and whether workers drain."""

    # None: the scenario's spot.interruptions_per_hour on a spot option, else 0
    interruptions_per_hour: float | None = Field(default=None, ge=0)
    notice_s: float = Field(default=120.0, ge=0)
    drain: bool = True


class SimulateSection(_Strict):
    """How to simulate the scenario: duration, seed, capacity, policies, queue and spot settings."""

    days: float | None = Field(default=None, gt=0)
    duration_s: float | None = Field(default=None, gt=0)
    seed: int = 0
    option: str | None = None  # a capacity option string; default: the scenario's first option
    policies: list[PolicySpec] = Field(
        default_factory=lambda: [PolicySpec(name=name) for name in POLICY_NAMES], min_length=1
    )
    fixed_workers: int | None = Field(default=None, ge=1)  # also simulate N always-on workers
    max_workers: int = Field(default=10, ge=1)
    # The app's batch_size: spotq-default's (and synth's target tracking's) target backlog per
    # worker, as `spotq synth` sets it from the app (spotq.scaling.params).
    batch_size: int = Field(default=1, ge=1)
    evaluation_interval_s: float = Field(default=15.0, gt=0)
    visibility_timeout_s: float = Field(default=300.0, gt=0)
    max_receives: int = Field(default=3, ge=1)
    service_time_cv: float = Field(default=0.0, ge=0)  # spread of per-job service time
    startup: StartupSection = Field(default_factory=StartupSection)
    spot: SpotSection = Field(default_factory=SpotSection)
    latency_target_s: float | None = Field(default=None, gt=0)  # overrides the workload's

    @field_validator("policies", mode="before")
    @classmethod
    def _names_as_specs(cls, value: Any) -> Any:
        # `policies: [spotq-default, keda-sqs]` is shorthand for `[{name: spotq-default}, ...]`.
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value

    @model_validator(mode="after")
    def _one_duration(self) -> SimulateSection:
        if self.days is not None and self.duration_s is not None:
            raise ValueError("give either days or duration_s, not both")
        return self

    @property
    def horizon_s(self) -> float | None:
        """Simulated seconds, or None to use the trace's own length (or one day)."""
        if self.duration_s is not None:
            return self.duration_s
        return None if self.days is None else self.days * 86_400.0
