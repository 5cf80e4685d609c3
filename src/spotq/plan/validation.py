"""Turn pydantic validation errors into ConfigErrors that name the key and what was expected."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from spotq.errors import ConfigError

# pydantic error type -> what the user should have written ({...} filled from the error context).
_EXPECTED: dict[str, str] = {
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "finite_number": "expected a finite number",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected a string",
    "list_type": "expected a list",
    "dict_type": "expected a mapping of key: value",
    "model_type": "expected a mapping of key: value",
    "model_attributes_type": "expected a mapping of key: value",
    "missing": "required key is missing",
    "extra_forbidden": "unknown key",
    "greater_than_equal": "expected a number ≥ {ge}",
    "greater_than": "expected a number > {gt}",
    "less_than_equal": "expected a number ≤ {le}",
    "less_than": "expected a number < {lt}",
    "literal_error": "expected one of {expected}",
    "too_short": "expected at least {min_length} item(s)",
    "too_long": "expected at most {max_length} item(s)",
}


def format_loc(loc: Sequence[int | str]) -> str:
    """('workload', 'options', 2) -> 'workload.options[2]'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _describe(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx: dict[str, Any] = {
        key: f"{value:g}" if isinstance(value, float) else value
        for key, value in (error.get("ctx") or {}).items()
    }
    template = _EXPECTED.get(kind)
    if template is None:
        message = error["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        return message
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template


def _got(error: ErrorDetails) -> str:
    if error["type"] in ("missing", "extra_forbidden") or not error["loc"]:
        return ""
    value = error.get("input")
    if isinstance(value, dict | list) and len(repr(value)) > 60:
        return f", got a {type(value).__name__}"
    return f", got {value!r}"


def describe_errors(exc: ValidationError, prefix: Sequence[str] = ()) -> list[str]:
    """One line per error: 'key.path: expected ..., got ...'."""
    lines = []
    for error in exc.errors():
        where = [*prefix, *error["loc"]]
        text = f"{_describe(error)}{_got(error)}"
        lines.append(f"{format_loc(where)}: {text}" if where else text)
    return lines


def config_error(exc: ValidationError, source: str, prefix: Sequence[str] = ()) -> ConfigError:
    """A ConfigError listing every problem pydantic found, each naming its key."""
    lines = describe_errors(exc, prefix)
    if len(lines) == 1:
        return ConfigError(f"{source}: {lines[0]}")
    return ConfigError(f"{source}: {len(lines)} problems:\n  " + "\n  ".join(lines))
