"""Capacity options: where a worker task runs, written as a short string in scenario files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from spotq.errors import ConfigError
from spotq.plan.prices import Prices, load_prices

OptionKind = Literal["fargate", "fargate-spot", "ec2", "ec2-spot", "lambda", "gpu", "gpu-spot"]

_PLAIN_KINDS: dict[str, OptionKind] = {
    "fargate": "fargate",
    "fargate-spot": "fargate-spot",
    "lambda": "lambda",
}
_HOST_KINDS: dict[str, OptionKind] = {
    "ec2": "ec2",
    "ec2-spot": "ec2-spot",
    "gpu": "gpu",
    "gpu-spot": "gpu-spot",
}
SYNTAX_HELP = (
    "fargate, fargate-spot, lambda, ec2:<type>, ec2-spot:<type>, gpu:<type> or gpu-spot:<type>"
)


@dataclass(frozen=True)
class CapacityOption:
    """One capacity option; `instance_type` is set exactly for the EC2-hosted kinds."""

    kind: OptionKind
    instance_type: str | None = None

    @property
    def text(self) -> str:
        """The option as written in a scenario file."""
        return self.kind if self.instance_type is None else f"{self.kind}:{self.instance_type}"

    @property
    def on_ec2(self) -> bool:
        """True when tasks run on EC2 hosts we pay for by the instance-hour."""
        return self.kind in _HOST_KINDS

    @property
    def is_spot(self) -> bool:
        """True for interruptible capacity (Fargate Spot, EC2 Spot)."""
        return self.kind.endswith("-spot")

    @property
    def is_fargate(self) -> bool:
        return self.kind in ("fargate", "fargate-spot")

    @property
    def is_gpu(self) -> bool:
        return self.kind in ("gpu", "gpu-spot")

    def __str__(self) -> str:
        return self.text


def parse_option_syntax(text: str) -> CapacityOption:
    """Parse an option string without checking the instance type against a price list."""
    if not isinstance(text, str):
        raise ConfigError(f"expected an option string ({SYNTAX_HELP}), got {text!r}")
    cleaned = text.strip()
    kind, sep, instance_type = cleaned.partition(":")
    if kind in _PLAIN_KINDS and not sep:
        return CapacityOption(kind=_PLAIN_KINDS[kind])
    if kind in _HOST_KINDS and sep and instance_type.strip():
        return CapacityOption(kind=_HOST_KINDS[kind], instance_type=instance_type.strip())
    if kind in _HOST_KINDS:
        raise ConfigError(f"option {text!r}: {kind} needs an instance type, e.g. {kind}:g5.xlarge")
    if kind in _PLAIN_KINDS:
        raise ConfigError(f"option {text!r}: {kind} takes no instance type")
    raise ConfigError(f"unknown capacity option {text!r}: expected {SYNTAX_HELP}")


def parse_option(text: str, prices: Prices | None = None) -> CapacityOption:
    """Parse an option string and check its instance type against `prices` (default: snapshot)."""
    option = parse_option_syntax(text)
    if option.instance_type is None:
        return option
    known = prices if prices is not None else load_prices()
    try:
        shape = known.shape(option.instance_type)
    except ConfigError as exc:
        raise ConfigError(f"option {text!r}: {exc}") from exc
    if option.is_gpu and shape.gpus == 0:
        model = shape.accelerator_model
        why = f"its {model} accelerator is not a GPU to ECS" if model else "it has no GPU"
        raise ConfigError(f"option {text!r}: {option.instance_type} cannot be a gpu option: {why}")
    return option
