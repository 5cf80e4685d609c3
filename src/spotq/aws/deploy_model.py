"""The data and errors of a deployment: changes, stack events, results, the view protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from spotq.errors import SpotqError


class DeployError(SpotqError):
    """A deployment could not start, or the stack did not reach its goal."""


class AwsCallError(DeployError):
    """A call to CloudFormation failed or got no usable answer; the CLI adds the stack's status
    and the next step."""


class StackNotFoundError(DeployError):
    """The named stack does not exist."""


class StackFailedError(DeployError):
    """The stack settled in a failed or rolled-back state; `reasons` come from its events."""

    def __init__(self, stack: str, status: str, reasons: Sequence[str]) -> None:
        detail = "; ".join(reasons) or "no failure reason in the stack events"
        super().__init__(f"stack {stack!r} ended in {status}: {detail}")
        self.status = status
        self.reasons = list(reasons)


@dataclass(frozen=True)
class Change:
    action: str  # Add | Modify | Remove | Import | Dynamic
    logical_id: str
    resource_type: str
    replacement: str  # True | False | Conditional | "" (for Add and Remove)


@dataclass(frozen=True)
class StackEvent:
    event_id: str
    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str
    physical_id: str = ""


@dataclass(frozen=True)
class DeployResult:
    stack: str
    status: str
    changes: tuple[Change, ...]
    outputs: dict[str, str]


class DeployView(Protocol):
    """What the user sees while a stack changes."""

    def changes(self, stack: str, changes: Sequence[Change]) -> None: ...

    def start(self, stack: str, action: str, total: int) -> None: ...

    def event(self, event: StackEvent) -> None: ...

    def finish(self, stack: str, status: str, ok: bool) -> None: ...


def terminal(status: str) -> bool:
    return status.endswith("_COMPLETE") or status.endswith("_FAILED")


def failed(status: str) -> bool:
    return "ROLLBACK" in status or status.endswith("_FAILED")


class DeployCancelledError(DeployError):
    """The user declined the change set; it was deleted and nothing changed."""


def change_from_aws(raw: dict[str, Any]) -> Change:
    rc = raw.get("ResourceChange", {})
    return Change(
        action=str(rc.get("Action", "")),
        logical_id=str(rc.get("LogicalResourceId", "")),
        resource_type=str(rc.get("ResourceType", "")),
        replacement=str(rc.get("Replacement", "")),
    )


def event_from_aws(raw: dict[str, Any]) -> StackEvent:
    return StackEvent(
        event_id=str(raw["EventId"]),
        timestamp=raw["Timestamp"],
        logical_id=str(raw.get("LogicalResourceId", "")),
        resource_type=str(raw.get("ResourceType", "")),
        status=str(raw.get("ResourceStatus", "")),
        reason=str(raw.get("ResourceStatusReason", "") or ""),
        physical_id=str(raw.get("PhysicalResourceId", "") or ""),
    )
