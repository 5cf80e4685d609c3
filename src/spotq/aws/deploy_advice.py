"""What a stack's state allows, and what to tell the user when a deploy or destroy stops: the
stack's status and the next step."""

from __future__ import annotations

from typing import Any

from spotq.aws.deploy_model import DeployError

_NEEDS_DESTROY = ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "DELETE_FAILED")


def next_step(stack: str, status: str | None, action: str) -> str:
    """One clause for the end of an error line. `status` None: the stack does not exist;
    'UNKNOWN': CloudFormation could not be asked. `action` is 'deploy' or 'destroy'."""
    if status is None:
        if action == "destroy":
            return f"stack {stack!r} does not exist; nothing to delete"
        return (
            f"stack {stack!r} does not exist (nothing was created); fix the cause and deploy again"
        )
    if status == "UNKNOWN":
        return (
            f"stack {stack!r}: status unknown; check the region, credentials and network, then "
            "run the command again"
        )
    if status == "DELETE_FAILED" and action == "destroy":
        return (
            f"stack {stack!r} is DELETE_FAILED; fix what holds the resources named above and run "
            f"`spotq destroy --stack {stack}` again"
        )
    if status in _NEEDS_DESTROY:
        return (
            f"stack {stack!r} is {status}; run `spotq destroy --stack {stack}`, then deploy again"
        )
    if status.endswith("_IN_PROGRESS"):
        return (
            f"stack {stack!r} is {status}; wait for it to settle (`aws cloudformation "
            f"describe-stacks --stack-name {stack}`), then run the command again"
        )
    return f"stack {stack!r} is {status} (unchanged); fix the cause and run the command again"


def change_set_type(stack: str, description: dict[str, Any] | None) -> str:
    if description is None or description["StackStatus"] == "REVIEW_IN_PROGRESS":
        return "CREATE"
    status = str(description["StackStatus"])
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"):
        raise DeployError(
            f"stack {stack!r} is in {status} and cannot be updated; run "
            f"`spotq destroy --stack {stack}` and deploy again"
        )
    if status.endswith("_IN_PROGRESS"):
        raise DeployError(f"stack {stack!r} is busy ({status}); wait for it to settle")
    return "UPDATE"


def check_owner(stack: str, description: dict[str, Any] | None, tags: dict[str, str]) -> None:
    """Refuse to update a stack that another app or stage deployed (derived stack names of two
    apps can meet: app `a-b` stage `c` and app `a` stage `b-c` are both `spotq-a-b-c`)."""
    if description is None:
        return
    current = {str(t.get("Key")): str(t.get("Value")) for t in description.get("Tags") or []}
    clashes = [
        f"{key}={current[key]}"
        for key in sorted(tags)
        if key in current and current[key] != tags[key]
    ]
    if clashes:
        raise DeployError(
            f"stack {stack!r} belongs to {', '.join(clashes)}, not to this app and stage; "
            "pass --stack with another name"
        )
