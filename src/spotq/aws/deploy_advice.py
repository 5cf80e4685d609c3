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


def check_owner(stack: str, deployed: dict[str, Any], template: dict[str, Any]) -> None:
    """Refuse to update a stack that another spotq app or stage deployed: derived stack names of
    two apps can meet (app `a-b` stage `c` and app `a` stage `b-c` are both `spotq-a-b-c`).
    The owner is the template's Metadata.spotq; a stack from before stages has no stage (it is
    `default`), and a stack spotq did not make has no owner to compare."""
    new = _owner(template)
    current = _owner(deployed)
    if current and "app" in current and "stage" not in current:
        current["stage"] = "default"
    clashes = [f"{k}={current[k]}" for k in sorted(new) if k in current and current[k] != new[k]]
    if clashes:
        raise DeployError(
            f"stack {stack!r} belongs to spotq {', '.join(clashes)}, not to this app and stage; "
            "pass --stack with another name"
        )


def _owner(template: dict[str, Any]) -> dict[str, str]:
    meta = template.get("Metadata", {})
    spotq = meta.get("spotq", {}) if isinstance(meta, dict) else {}
    if not isinstance(spotq, dict):
        return {}
    return {k: str(spotq[k]) for k in ("app", "stage") if k in spotq}
