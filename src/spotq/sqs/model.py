"""The botocore SQS service model, and input checks generated from it (types, required members).

Both protocol layers hand the service inputs in the JSON-protocol shape, so one generated checker
gives them identical type and required-member validation.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from spotq.sqs.errors import sqs_error

Check = Callable[[Any, str], None]


@cache
def service_model() -> dict[str, Any]:
    """The SQS service-2 model shipped with botocore."""
    from botocore.loaders import Loader

    model: dict[str, Any] = Loader().load_service_model("sqs", "service-2")
    return model


@cache
def input_checks() -> dict[str, Check]:
    """Operation name -> a function checking its input parameters."""
    model = service_model()
    shapes: dict[str, Any] = model["shapes"]
    built: dict[str, Check] = {}
    checks: dict[str, Check] = {}
    for name, operation in model["operations"].items():
        input_shape = operation.get("input", {}).get("shape")
        checks[name] = _compile(input_shape, shapes, built) if input_shape else _empty
    return checks


def operation_names() -> frozenset[str]:
    return frozenset(service_model()["operations"])


def _empty(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise _type_error(path, "structure")


def _type_error(path: str, expected: str) -> Exception:
    where = path or "the request"
    return sqs_error("SerializationException", f"Expected {expected} for {where}.")


_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "blob": (bytes,),
    "double": (int, float),
    "float": (int, float),
}


def _compile(shape_name: str, shapes: dict[str, Any], built: dict[str, Check]) -> Check:
    if shape_name in built:
        return built[shape_name]
    shape = shapes[shape_name]
    kind = shape["type"]
    check: Check
    if kind in _SCALARS:
        check = _scalar(kind)
    elif kind == "list":
        check = _list(_compile(shape["member"]["shape"], shapes, built))
    elif kind == "map":
        check = _map(_compile(shape["value"]["shape"], shapes, built))
    else:
        members = {
            name: _compile(member["shape"], shapes, built)
            for name, member in shape.get("members", {}).items()
        }
        check = _structure(members, tuple(shape.get("required", ())))
    built[shape_name] = check
    return check


def _scalar(kind: str) -> Check:
    types = _SCALARS[kind]
    exclude_bool = kind != "boolean"

    def check(value: Any, path: str) -> None:
        if not isinstance(value, types) or (exclude_bool and isinstance(value, bool)):
            raise _type_error(path, kind)

    return check


def _list(member: Check) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise _type_error(path, "list")
        for index, item in enumerate(value):
            member(item, f"{path}[{index}]")

    return check


def _map(member: Check) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise _type_error(path, "map")
        for key, item in value.items():
            member(item, f"{path}.{key}")

    return check


def _structure(members: dict[str, Check], required: tuple[str, ...]) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise _type_error(path, "structure")
        prefix = f"{path}." if path else ""
        for name in required:
            if value.get(name) is None:
                raise sqs_error(
                    "MissingParameter", f"The request must contain the parameter {prefix}{name}."
                )
        for name, item in value.items():
            member = members.get(name)
            if member is not None and item is not None:
                member(item, prefix + name)

    return check
