"""Extra IAM statements an app grants its task role (its own bucket, table, RDS IAM auth...),
checked when the app file is imported: the shape IAM accepts, and no full wildcard unless asked.

A statement is a mapping with Effect (Allow|Deny), Action (a string or a list of
"service:Action" patterns), Resource (a string or a list), optionally Sid and Condition. NotAction,
NotResource and Principal are refused: they turn an allow-list into a deny-list, which is rarely
what a worker's role should say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from spotq.errors import AppError

_KEYS = frozenset({"Sid", "Effect", "Action", "Resource", "Condition"})
_REFUSED = {
    "NotAction": "list the actions it allows instead",
    "NotResource": "list the resources instead",
    "Principal": "a role's own policy has no principal",
}
_ACTION = re.compile(r"\*|[a-z0-9\-]+:[A-Za-z0-9*?]+")
_SID = re.compile(r"[A-Za-z0-9]+")
MAX_STATEMENTS = 50


def check_statements(
    statements: Sequence[Mapping[str, Any]], *, allow_wildcard: bool = False
) -> tuple[dict[str, Any], ...]:
    """Validated copies of `statements` (Action/Resource as lists, Sid set) for the task role."""
    if isinstance(statements, Mapping | str):
        raise AppError("task_role_statements: expected a list of statements")
    if len(statements) > MAX_STATEMENTS:
        raise AppError(f"task_role_statements: at most {MAX_STATEMENTS} statements")
    checked = []
    sids: set[str] = set()
    for index, statement in enumerate(statements):
        one = _check_one(index, statement, allow_wildcard)
        if one["Sid"] in sids:
            raise AppError(f"task_role_statements[{index}]: Sid {one['Sid']!r} is used twice")
        sids.add(one["Sid"])
        checked.append(one)
    return tuple(checked)


def _check_one(index: int, statement: object, allow_wildcard: bool) -> dict[str, Any]:
    where = f"task_role_statements[{index}]"
    if not isinstance(statement, Mapping):
        raise AppError(f"{where}: expected a mapping, got {type(statement).__name__}")
    for key in statement:
        if key in _REFUSED:
            raise AppError(f"{where}: {key} is not accepted ({_REFUSED[key]})")
        if key not in _KEYS:
            raise AppError(f"{where}: unknown key {key!r} (expected {', '.join(sorted(_KEYS))})")
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise AppError(f"{where}: Effect must be 'Allow' or 'Deny', got {effect!r}")
    actions = _strings(statement.get("Action"), f"{where}.Action")
    for action in actions:
        if not _ACTION.fullmatch(action):
            raise AppError(
                f"{where}.Action: {action!r} is not 'service:Action' (e.g. s3:GetObject)"
            )
    resources = _strings(statement.get("Resource"), f"{where}.Resource")
    for resource in resources:
        if resource != "*" and not resource.startswith("arn:"):
            raise AppError(f"{where}.Resource: {resource!r} is not an ARN or '*'")
    full_wildcard = "*" in actions and "*" in resources
    if effect == "Allow" and full_wildcard and not allow_wildcard:
        raise AppError(
            f"{where}: Action '*' on Resource '*' makes the task role an administrator; name the "
            "actions and resources, or pass task_role_allow_wildcard=True if that is really meant"
        )
    sid = statement.get("Sid", f"App{index}")
    if not isinstance(sid, str) or not _SID.fullmatch(sid):
        raise AppError(f"{where}: Sid must be letters and digits, got {sid!r}")
    result: dict[str, Any] = {
        "Sid": sid,
        "Effect": effect,
        "Action": actions,
        "Resource": resources,
    }
    condition = statement.get("Condition")
    if condition is not None:
        result["Condition"] = _condition(condition, where)
    return result


def _strings(value: object, where: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise AppError(f"{where}: expected a string or a non-empty list of strings")
    if not all(isinstance(item, str) and item for item in items):
        raise AppError(f"{where}: every entry must be a non-empty string")
    return list(items)


def _condition(condition: object, where: str) -> dict[str, Any]:
    if not isinstance(condition, Mapping) or not condition:
        raise AppError(f"{where}.Condition: expected {{operator: {{key: value}}}}")
    for operator, clause in condition.items():
        if not isinstance(operator, str) or not isinstance(clause, Mapping) or not clause:
            raise AppError(f"{where}.Condition[{operator!r}]: expected {{key: value(s)}}")
    return {op: dict(clause) for op, clause in condition.items()}
