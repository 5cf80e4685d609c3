"""The botocore SQS service model, and input checks generated from it (types, required members).

Both protocol layers hand the service inputs in the JSON-protocol shape, so one generated checker
gives them identical type and required-member validation.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from spotq.sqs import fastcheck
from spotq.sqs.errors import sqs_error

Check = Callable[[Any], None]


class _Mismatch(Exception):
    """A member of the wrong type or a missing required member; `parts` is its path, innermost
    first (built only on failure so that valid input costs no string work)."""

    def __init__(self, shape: str, detail: str, parts: list[str]) -> None:
        super().__init__(detail)
        self.shape = shape
        self.detail = detail
        self.parts = parts


@cache
def service_model() -> dict[str, Any]:
    """The SQS service-2 model shipped with botocore."""
    from botocore.loaders import Loader

    model: dict[str, Any] = Loader().load_service_model("sqs", "service-2")
    return model


@cache
def _input_checks() -> dict[str, Check]:
    model = service_model()
    shapes: dict[str, Any] = model["shapes"]
    built: dict[str, Check] = {}
    checks: dict[str, Check] = {}
    for name, operation in model["operations"].items():
        input_shape = operation.get("input", {}).get("shape")
        checks[name] = _compile(input_shape, shapes, built) if input_shape else _empty
    return checks


def check_input(operation: str, params: Any) -> None:
    """Raise SqsError unless `params` has the member types and required members of the
    operation's input shape (SerializationException / MissingParameter, as AWS answers)."""
    if not _fast_checks()[operation](params):
        walk_input(operation, params)


def walk_input(operation: str, params: Any) -> None:
    """check_input by walking the model, without the generated fast path (it words errors)."""
    try:
        _input_checks()[operation](params)
    except _Mismatch as bad:
        path = ".".join(reversed(bad.parts))
        if bad.shape == "MissingParameter":
            raise sqs_error(bad.shape, f"The request must contain the parameter {path}.") from None
        raise sqs_error(bad.shape, f"Expected {bad.detail} for {path or 'the request'}.") from None


@cache
def _fast_checks() -> dict[str, fastcheck.Predicate]:
    return fastcheck.build(service_model())


@cache
def operation_names() -> frozenset[str]:
    return frozenset(service_model()["operations"])


def _empty(value: Any) -> None:
    if not isinstance(value, dict):
        raise _Mismatch("SerializationException", "structure", [])


_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "blob": (bytes,),
    "double": (int, float),
    "float": (int, float),
}

# Exact types that pass a scalar check outright: a structure tests these inline, sparing a call
# per member; anything else (a subclass, a wrong type) still goes through the full scalar check.
_EXACT: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "integer": frozenset({int}),
    "long": frozenset({int}),
    "boolean": frozenset({bool}),
    "blob": frozenset({bytes}),
    "double": frozenset({int, float}),
    "float": frozenset({int, float}),
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
        exact = {
            name: _EXACT[shapes[member["shape"]]["type"]]
            for name, member in shape.get("members", {}).items()
            if shapes[member["shape"]]["type"] in _EXACT
        }
        check = _structure(members, exact, tuple(shape.get("required", ())))
    built[shape_name] = check
    return check


def _scalar(kind: str) -> Check:
    types = _SCALARS[kind]
    exclude_bool = kind != "boolean"

    def check(value: Any) -> None:
        if not isinstance(value, types) or (exclude_bool and (value is True or value is False)):
            raise _Mismatch("SerializationException", kind, [])

    return check


def _list(member: Check) -> Check:
    def check(value: Any) -> None:
        if not isinstance(value, list):
            raise _Mismatch("SerializationException", "list", [])
        for index, item in enumerate(value):
            try:
                member(item)
            except _Mismatch as bad:
                bad.parts.append(str(index))
                raise

    return check


def _map(member: Check) -> Check:
    def check(value: Any) -> None:
        if not isinstance(value, dict):
            raise _Mismatch("SerializationException", "map", [])
        for key, item in value.items():
            try:
                member(item)
            except _Mismatch as bad:
                bad.parts.append(str(key))
                raise

    return check


def _structure(
    members: dict[str, Check], exact: dict[str, frozenset[type]], required: tuple[str, ...]
) -> Check:
    no_types: frozenset[type] = frozenset()

    def check(value: Any) -> None:
        if not isinstance(value, dict):
            raise _Mismatch("SerializationException", "structure", [])
        for name in required:
            if value.get(name) is None:
                raise _Mismatch("MissingParameter", "", [name])
        for name, item in value.items():
            if type(item) in exact.get(name, no_types):
                continue
            member = members.get(name)
            if member is not None and item is not None:
                try:
                    member(item)
                except _Mismatch as bad:
                    bad.parts.append(name)
                    raise

    return check
