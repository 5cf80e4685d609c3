"""Policies by name: the one table the fleet, the simulator and the synthesis look names up in."""

from __future__ import annotations

import inspect
from collections.abc import Callable

from spotq.errors import ConfigError
from spotq.scaling.aws_target_tracking import AwsTargetTrackingPolicy
from spotq.scaling.base import ScalingPolicy
from spotq.scaling.cdk_steps import CdkStepsPolicy
from spotq.scaling.copilot_latency import CopilotLatencyPolicy
from spotq.scaling.fixed import FixedPolicy
from spotq.scaling.keda_sqs import KedaSqsPolicy
from spotq.scaling.seed_target_tracking import SeedTargetTrackingPolicy
from spotq.scaling.spotq_default import SpotqDefaultPolicy
from spotq.scaling.synth_target_tracking import SynthTargetTrackingPolicy

_FACTORIES: dict[str, Callable[..., ScalingPolicy]] = {
    SpotqDefaultPolicy.name: SpotqDefaultPolicy,
    SeedTargetTrackingPolicy.name: SeedTargetTrackingPolicy,
    SynthTargetTrackingPolicy.name: SynthTargetTrackingPolicy,
    AwsTargetTrackingPolicy.name: AwsTargetTrackingPolicy,
    CdkStepsPolicy.name: CdkStepsPolicy,
    KedaSqsPolicy.name: KedaSqsPolicy,
    CopilotLatencyPolicy.name: CopilotLatencyPolicy,
}

# How each policy observes the queue when deployed, which is what `simulate` models for it.
OBSERVATION_PATHS: dict[str, str] = {
    SpotqDefaultPolicy.name: "SQS + ECS APIs read directly every tick (spotq's scaler function)",
    SeedTargetTrackingPolicy.name: "visible messages read instantly and exactly (the seeds' model)",
    SynthTargetTrackingPolicy.name: (
        "CloudWatch 1-min SQS datapoints, late (15 min after 6 h idle); 1-datapoint step alarm "
        "+ 3/15-datapoint target tracking (what synth's aws-target-tracking engine deploys)"
    ),
    AwsTargetTrackingPolicy.name: "CloudWatch 1-min SQS datapoints, late; 3/15-datapoint alarms",
    CdkStepsPolicy.name: "CloudWatch 1-min SQS datapoints, late; step alarms",
    KedaSqsPolicy.name: "SQS API polled every pollingInterval (KEDA)",
    CopilotLatencyPolicy.name: "a Lambda's 1-min BacklogPerTask metric; 3/15-datapoint alarms",
    FixedPolicy.name: "none (fixed count)",
}

# The policies a comparison runs by default (spotq's first); `fixed` is available on request.
POLICY_NAMES: tuple[str, ...] = tuple(_FACTORIES)
ALL_POLICY_NAMES: tuple[str, ...] = (*POLICY_NAMES, FixedPolicy.name)
_FACTORIES[FixedPolicy.name] = FixedPolicy


def policy_params(name: str) -> tuple[str, ...]:
    """The keyword parameters `make_policy(name, ...)` accepts."""
    factory = _lookup(name)
    return tuple(inspect.signature(factory).parameters)


def make_policy(name: str, **params: float | int | bool | str) -> ScalingPolicy:
    """Build a policy by registered name; unknown names or parameters are ConfigErrors."""
    factory = _lookup(name)
    allowed = policy_params(name)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ConfigError(
            f"policy {name!r}: unknown parameter(s) {', '.join(unknown)}; "
            f"expected any of {', '.join(allowed)}"
        )
    try:
        return factory(**params)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"policy {name!r}: {exc}") from exc


def _lookup(name: str) -> Callable[..., ScalingPolicy]:
    try:
        return _FACTORIES[name]
    except KeyError:
        raise ConfigError(
            f"unknown scaling policy {name!r}; expected one of {', '.join(ALL_POLICY_NAMES)}"
        ) from None
