"""Which stack a deploy may update, and the next step an error line ends with."""

from __future__ import annotations

from typing import Any

import pytest

from spotq.aws.deploy_advice import check_owner, next_step
from spotq.aws.deploy_model import DeployError


def _template(**owner: str) -> dict[str, Any]:
    return {"Metadata": {"spotq": {"target": "ec2-spot", **owner}}}


def test_the_same_app_and_stage_may_update_its_stack() -> None:
    check_owner("s", _template(app="a", stage="prod"), _template(app="a", stage="prod"))


def test_a_stack_from_before_stages_is_the_default_stage() -> None:
    check_owner("s", _template(app="a"), _template(app="a", stage="default"))
    with pytest.raises(DeployError, match="belongs to spotq stage=default"):
        check_owner("s", _template(app="a"), _template(app="a", stage="staging"))


def test_another_app_or_stage_is_refused_and_a_foreign_stack_is_not_judged() -> None:
    with pytest.raises(DeployError, match=r"belongs to spotq app=a-b, stage=c.*--stack"):
        check_owner("s", _template(app="a-b", stage="c"), _template(app="a", stage="b-c"))
    check_owner("s", {"Resources": {}}, _template(app="a", stage="prod"))


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (None, "deploy", "does not exist (nothing was created)"),
        (None, "destroy", "nothing to delete"),
        ("UNKNOWN", "deploy", "status unknown; check the region"),
        ("ROLLBACK_COMPLETE", "deploy", "run `spotq destroy --stack s`, then deploy again"),
        ("DELETE_FAILED", "destroy", "fix what holds the resources named above"),
        ("UPDATE_IN_PROGRESS", "deploy", "wait for it to settle"),
        ("UPDATE_COMPLETE", "deploy", "(unchanged); fix the cause"),
    ],
)
def test_next_step_fits_the_status(status: str | None, action: str, expected: str) -> None:
    assert expected in next_step("s", status, action)
