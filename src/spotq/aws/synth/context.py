"""What one synthesis needs: the app, the target, settings derived from the app's options."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from spotq.app import App, AppOptions
from spotq.errors import ConfigError
from spotq.naming import DEFAULT_STAGE, check_stage
from spotq.scaling.params import expected_startup_s, spotq_default_params
from spotq.scaling.registry import make_policy
from spotq.scaling.spotq_default import SpotqDefaultPolicy
from spotq.stack import StackConfig

# The container health check; the AWS runtime's health module exits 0 while the worker loop is
# alive (it reads the heartbeat file the worker writes).
HEALTH_COMMAND: tuple[str, ...] = ("CMD", "python", "-m", "spotq.aws.health")
CONTAINER_NAME = "worker"
# ECS caps a container's stopTimeout at 120 s (and Fargate Spot gives 120 s notice at most).
STOP_TIMEOUT_MAX_S = 120
# The retention periods CloudWatch Logs accepts.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)


class Target(StrEnum):
    FARGATE_SPOT = "fargate-spot"
    EC2_SPOT = "ec2-spot"
    GPU = "gpu"

    @property
    def is_ec2(self) -> bool:
        return self is not Target.FARGATE_SPOT


class ScalingEngine(StrEnum):
    """What sets the service's desired count."""

    SPOTQ = "spotq"  # spotq's scaler function runs the spotq-default policy (the default)
    AWS_TARGET_TRACKING = "aws-target-tracking"  # Application Auto Scaling on CloudWatch only


@dataclass(frozen=True)
class ScalingParams:
    """Application Auto Scaling settings that carry the meaning of the app's spotq policy."""

    target_backlog_per_worker: float
    min_workers: int
    scale_out_cooldown_s: int
    scale_in_cooldown_s: int
    max_workers: int
    # The spotq-default policy's constructor parameters, as the scaler function builds it.
    policy: tuple[tuple[str, float | int], ...] = ()


def scaling_params(
    policy: SpotqDefaultPolicy, params: dict[str, float | int] | None = None
) -> ScalingParams:
    """Map the spotq-default policy onto target tracking; AWS cooldowns are whole seconds."""
    return ScalingParams(
        target_backlog_per_worker=policy.target_backlog_per_worker,
        min_workers=policy.min_workers,
        scale_out_cooldown_s=round(policy.scale_out_cooldown_s),
        scale_in_cooldown_s=round(policy.scale_in_cooldown_s),
        max_workers=policy.max_workers,
        policy=tuple(sorted((params or {}).items())),
    )


@dataclass(frozen=True)
class SynthSettings:
    """Knobs of a synthesis that are not app options (each becomes a template parameter default
    where a deployer may want to change it without re-synthesising)."""

    max_workers: int = 10
    log_retention_days: int = 30
    stop_timeout_s: int = STOP_TIMEOUT_MAX_S
    instance_types: tuple[str, ...] = ()  # empty: chosen from the app's task size
    # spotq-default policy parameters (as `spotq simulate` takes them), e.g. scale_in_cooldown_s
    policy_params: tuple[tuple[str, float | int], ...] = ()
    scaling_engine: ScalingEngine = ScalingEngine.SPOTQ
    stage: str = DEFAULT_STAGE  # which copy of the app's stack (spotq.naming)

    def __post_init__(self) -> None:
        check_stage(self.stage)
        if not 1 <= self.max_workers <= 1000:
            raise ConfigError(f"max_workers: expected 1..1000, got {self.max_workers}")
        if not 2 <= self.stop_timeout_s <= STOP_TIMEOUT_MAX_S:
            raise ConfigError(
                f"stop_timeout_s: expected 2..{STOP_TIMEOUT_MAX_S}, got {self.stop_timeout_s}"
            )
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ConfigError(
                f"log_retention_days: expected one of {LOG_RETENTION_DAYS}, "
                f"got {self.log_retention_days}"
            )
        if len(self.instance_types) > 6:
            raise ConfigError("instance_types: expected at most 6 instance types")


@dataclass(frozen=True)
class Context:
    """Everything the resource modules read; built once per synthesis."""

    app: str
    options: AppOptions
    target: Target
    settings: SynthSettings
    scaling: ScalingParams
    stack: StackConfig = field(init=False)

    def __post_init__(self) -> None:
        stack = StackConfig(app=self.app, sqs_endpoint_url=None, stage=self.settings.stage)
        object.__setattr__(self, "stack", stack)

    @property
    def stage(self) -> str:
        return self.settings.stage

    @property
    def blob_prefix(self) -> str:
        """The key prefix under which this app's blobs live (the task role is limited to it)."""
        return self.app

    @property
    def engine(self) -> ScalingEngine:
        return self.settings.scaling_engine


def make_context(app: App, target: Target, settings: SynthSettings) -> Context:
    if target is Target.FARGATE_SPOT and app.options.gpus > 0:
        raise ConfigError(
            f"app {app.name!r} asks for gpus={app.options.gpus}: Fargate has no GPUs; "
            "use --target gpu"
        )
    if target is Target.GPU and app.options.gpus == 0:
        raise ConfigError(
            f"app {app.name!r} asks for no GPU (gpus=0): --target gpu would pay for a GPU host "
            "it never uses; set gpus=1 (or more) in the app's options, or use --target "
            "ec2-spot or fargate-spot"
        )
    params = spotq_default_params(
        batch_size=app.options.batch_size,
        startup_s=expected_startup_s(target.is_ec2),
        overrides=dict(settings.policy_params),
    )
    policy = make_policy(SpotqDefaultPolicy.name, max_workers=settings.max_workers, **params)
    assert isinstance(policy, SpotqDefaultPolicy)
    return Context(
        app=app.name,
        options=app.options,
        target=target,
        settings=settings,
        scaling=scaling_params(policy, params),
    )
