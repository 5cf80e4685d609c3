"""Capacity option strings."""

from __future__ import annotations

import pytest

from spotq.errors import ConfigError
from spotq.plan.options import CapacityOption, parse_option


@pytest.mark.parametrize(
    ("text", "kind", "instance_type"),
    [
        ("fargate", "fargate", None),
        ("fargate-spot", "fargate-spot", None),
        ("lambda", "lambda", None),
        ("ec2:c5.2xlarge", "ec2", "c5.2xlarge"),
        ("ec2-spot:t3.small", "ec2-spot", "t3.small"),
        ("gpu:g5.2xlarge", "gpu", "g5.2xlarge"),
        ("gpu-spot:g4dn.xlarge", "gpu-spot", "g4dn.xlarge"),
    ],
)
def test_parses_every_kind(text: str, kind: str, instance_type: str | None) -> None:
    option = parse_option(text)
    assert option == CapacityOption(kind=kind, instance_type=instance_type)  # type: ignore[arg-type]
    assert option.text == text


def test_kind_properties() -> None:
    assert parse_option("ec2-spot:t3.small").is_spot
    assert parse_option("ec2-spot:t3.small").on_ec2
    assert not parse_option("fargate-spot").on_ec2
    assert parse_option("fargate-spot").is_fargate
    assert parse_option("gpu:g5.xlarge").is_gpu


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kubernetes", "unknown capacity option 'kubernetes'"),
        ("ec2", "ec2 needs an instance type"),
        ("fargate:c5.xlarge", "fargate takes no instance type"),
        ("ec2:c9.huge", "unknown instance type 'c9.huge'"),
        ("gpu:c5.xlarge", "c5.xlarge cannot be a gpu option: it has no GPU"),
        ("gpu:inf2.xlarge", "Inferentia2 accelerator is not a GPU"),
    ],
)
def test_bad_options_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_option(text)
