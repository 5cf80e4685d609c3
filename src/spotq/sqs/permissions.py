"""AddPermission / RemovePermission: statements kept in the queue's Policy attribute."""

from __future__ import annotations

import json
import re
from typing import Any

from spotq.sqs import queues, validation
from spotq.sqs.store import Queue, SqsStore

_LABEL = re.compile(r"[A-Za-z0-9_-]{1,80}")
_ACTIONS = frozenset(
    [
        "*",
        "ChangeMessageVisibility",
        "DeleteMessage",
        "GetQueueAttributes",
        "GetQueueUrl",
        "ListDeadLetterSourceQueues",
        "PurgeQueue",
        "ReceiveMessage",
        "SendMessage",
    ]
)
_MAX_STATEMENTS = 7


def add(store: SqsStore, queue: Queue, label: str, accounts: list[str], actions: list[str]) -> None:
    if not _LABEL.fullmatch(label):
        raise validation.invalid_value("Label", label, "Label is invalid.")
    if not accounts:
        raise validation.missing("AWSAccountIds")
    if not actions:
        raise validation.missing("Actions")
    for action in actions:
        if action not in _ACTIONS:
            raise validation.invalid_value("Actions", action, f"Invalid action name {action}.")
    policy = _policy(queue)
    statements: list[dict[str, Any]] = policy["Statement"]
    if any(s.get("Sid") == label for s in statements):
        raise validation.invalid_value("Label", label, "Already exists.")
    if len(statements) >= _MAX_STATEMENTS:
        raise validation.invalid_value("Label", label, "Too many permission statements.")
    statements.append(
        {
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": _one_or_list([f"arn:aws:iam::{a}:root" for a in accounts])},
            "Action": _one_or_list([f"SQS:{a}" for a in actions]),
            "Resource": queue.arn,
        }
    )
    _store(store, queue, policy)


def _one_or_list(values: list[str]) -> str | list[str]:
    """AWS writes a single principal or action as a string, several as a list."""
    return values[0] if len(values) == 1 else values


def remove(store: SqsStore, queue: Queue, label: str) -> None:
    policy = _policy(queue)
    kept = [s for s in policy["Statement"] if s.get("Sid") != label]
    if len(kept) == len(policy["Statement"]):
        raise validation.invalid_value("Label", label, "can't find label on existing policy.")
    policy["Statement"] = kept
    _store(store, queue, policy)


def _policy(queue: Queue) -> dict[str, Any]:
    text = queue.attrs.get("Policy")
    if text:
        policy: dict[str, Any] = json.loads(text)
        policy.setdefault("Statement", [])
        return policy
    return {"Version": "2008-10-17", "Id": f"{queue.arn}/SQSDefaultPolicy", "Statement": []}


def _store(store: SqsStore, queue: Queue, policy: dict[str, Any]) -> None:
    attrs = dict(queue.attrs)
    if policy["Statement"]:
        attrs["Policy"] = json.dumps(policy, separators=(",", ":"))
    else:
        attrs.pop("Policy", None)
    queues.write_attributes(store, queue, attrs)
