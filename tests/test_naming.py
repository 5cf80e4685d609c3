"""spotq.naming: names stay within AWS limits and never collide across stages of one app."""

from __future__ import annotations

import itertools
import re

import pytest

from spotq.errors import ConfigError
from spotq.naming import (
    DEFAULT_STAGE,
    SQS_NAME_MAX_CHARS,
    STAGE_MAX_CHARS,
    check_stage,
    log_group_name,
    queue_name,
    stack_name,
    task_family,
)
from spotq.stack import StackConfig

_LONGEST_APP = "a" * 40
_LONGEST_STAGE = "s" * STAGE_MAX_CHARS
_ROLES = ("", "high", "dlq")


def test_default_stage_keeps_the_names_from_before_stages() -> None:
    stack = StackConfig(app="demo", sqs_endpoint_url=None)
    assert (stack.queue_name, stack.high_queue_name, stack.dlq_name) == (
        "spotq-demo",
        "spotq-demo-high",
        "spotq-demo-dlq",
    )
    assert log_group_name("demo", DEFAULT_STAGE, "worker") == "/spotq/demo/worker"
    assert task_family("demo", DEFAULT_STAGE) == "spotq-demo"


def test_longest_app_and_stage_fit_every_limit() -> None:
    for role in _ROLES:
        name = queue_name(_LONGEST_APP, _LONGEST_STAGE, role)
        assert len(name) <= SQS_NAME_MAX_CHARS
        assert re.fullmatch(r"[A-Za-z0-9_-]+", name)
    assert len(stack_name(_LONGEST_APP, _LONGEST_STAGE)) <= 128
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", stack_name(_LONGEST_APP, _LONGEST_STAGE))
    assert len(task_family(_LONGEST_APP, _LONGEST_STAGE, "serve")) <= 255
    assert len(log_group_name(_LONGEST_APP, _LONGEST_STAGE, "scaler")) <= 512


def test_no_two_stages_of_an_app_share_a_queue_log_group_or_family() -> None:
    """Stages chosen to trip a hyphen-joined scheme: `high` and `x-high` against `x`'s `-high`."""
    stages = [DEFAULT_STAGE, "x", "high", "dlq", "x-high", "x-dlq", "worker", "default-x"]
    queues = [queue_name("app", s, r) for s, r in itertools.product(stages, _ROLES)]
    assert len(set(queues)) == len(queues)
    groups = [
        log_group_name("app", s, r) for s, r in itertools.product(stages, ("worker", "scaler"))
    ]
    assert len(set(groups)) == len(groups)
    families = [task_family("app", s, r) for s, r in itertools.product(stages, ("", "serve"))]
    assert len(set(families)) == len(families)


@pytest.mark.parametrize("stage", ["prod", "staging-2", "a", "p" * STAGE_MAX_CHARS])
def test_good_stage_names(stage: str) -> None:
    assert check_stage(stage) == stage


@pytest.mark.parametrize("stage", ["", "Prod", "1st", "-x", "x-", "a_b", "a.b", "p" * 21])
def test_bad_stage_names(stage: str) -> None:
    with pytest.raises(ConfigError, match="lowercase letters"):
        check_stage(stage)


def test_stack_config_round_trips_its_stage() -> None:
    stack = StackConfig(app="demo", sqs_endpoint_url=None, stage="staging")
    assert StackConfig.from_json(stack.to_json()) == stack
    assert stack.queue_name == "spotq-demo_staging"
    assert stack.high_queue_name == "spotq-demo-high_staging"
