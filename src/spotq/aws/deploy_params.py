"""Parameter values an update keeps: what is sent again, and how."""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Sequence
from typing import Any


def previous_lists(
    template: dict[str, Any], description: dict[str, Any] | None, keep: Sequence[str]
) -> dict[str, str]:
    """The stack's current values of the List parameters in `keep` (SubnetIds), to send again
    on an update: moto cannot reuse a previous List value (AWS can; the others keep
    UsePreviousValue). AWS reports a List comma-joined, as it is sent; moto as a Python list."""
    declared = template.get("Parameters", {})
    current = {
        str(p.get("ParameterKey")): str(p.get("ParameterValue", ""))
        for p in (description or {}).get("Parameters") or []
    }
    return {
        key: _comma_joined(current[key])
        for key in keep
        if key in current and "List" in str(declared.get(key, {}).get("Type", ""))
    }


def _comma_joined(value: str) -> str:
    if value.startswith("[") and value.endswith("]"):
        with contextlib.suppress(ValueError, SyntaxError):
            items = ast.literal_eval(value)
            while isinstance(items, list) and len(items) == 1 and isinstance(items[0], list):
                items = items[0]
            if isinstance(items, list) and all(isinstance(i, str) for i in items):
                return ",".join(items)
    return value
