"""AWS JSON 1.0: parse a request body into JSON-shape params, render results and errors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from functools import cache
from typing import Any

from spotq.sqs import model
from spotq.sqs.errors import SqsError, json_type, sqs_error

CONTENT_TYPE = "application/x-amz-json-1.0"
TARGET_PREFIX = "AmazonSQS."

Decoder = Callable[[Any], Any]


def parse_request(target: str, body: bytes) -> tuple[str, dict[str, Any]]:
    """(operation, params) from the X-Amz-Target header and the body; blobs become bytes."""
    operation = target[len(TARGET_PREFIX) :]
    if operation not in model.operation_names():
        raise sqs_error("InvalidAction", f"The action {operation} is not valid for this endpoint.")
    if not body.strip():
        params: Any = {}
    else:
        try:
            params = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise sqs_error(
                "SerializationException", "The request body is not valid JSON."
            ) from None
    if not isinstance(params, dict):
        raise sqs_error("SerializationException", "The request body must be a JSON object.")
    decoder = _decoders().get(operation)
    if decoder is not None:
        decoder(params)
    return operation, params


def _default(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot serialize {type(value).__name__}")


_ENCODER = json.JSONEncoder(default=_default, separators=(",", ":"))


def render_result(result: dict[str, Any]) -> bytes:
    return _ENCODER.encode(result).encode("utf-8")


def render_error(error: SqsError) -> tuple[bytes, list[tuple[str, str]]]:
    """The error body and the extra headers botocore needs to match modelled exceptions."""
    body = json.dumps(
        {"__type": f"com.amazonaws.sqs#{json_type(error.shape)}", "message": error.message}
    ).encode("utf-8")
    fault = "Sender" if error.sender_fault else "Receiver"
    return body, [("x-amzn-query-error", f"{error.code};{fault}")]


@cache
def _decoders() -> dict[str, Decoder]:
    """Per operation, an in-place decoder of base64 blob members (only where the input has any)."""
    shapes = model.service_model()["shapes"]
    out: dict[str, Decoder] = {}
    for name, operation in model.service_model()["operations"].items():
        input_shape = operation.get("input", {}).get("shape")
        decoder = _decoder(input_shape, shapes, set()) if input_shape else None
        if decoder is not None:
            out[name] = decoder
    return out


def _decoder(shape_name: str, shapes: dict[str, Any], seen: set[str]) -> Decoder | None:
    if shape_name in seen:
        return None
    shape = shapes[shape_name]
    kind = shape["type"]
    if kind == "blob":
        return _decode_blob
    inner = seen | {shape_name}
    if kind == "list":
        member = _decoder(shape["member"]["shape"], shapes, inner)
        return None if member is None else _each_list(member)
    if kind == "map":
        member = _decoder(shape["value"]["shape"], shapes, inner)
        return None if member is None else _each_map(member)
    if kind == "structure":
        members = {
            name: dec
            for name, spec in shape.get("members", {}).items()
            if (dec := _decoder(spec["shape"], shapes, inner)) is not None
        }
        return _members(members) if members else None
    return None


def _decode_blob(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # the model check reports the wrong type
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise sqs_error("SerializationException", "A binary value is not valid base64.") from None


def _each_list(member: Decoder) -> Decoder:
    def decode(value: Any) -> Any:
        if isinstance(value, list):
            for index, item in enumerate(value):
                value[index] = member(item)
        return value

    return decode


def _each_map(member: Decoder) -> Decoder:
    def decode(value: Any) -> Any:
        if isinstance(value, dict):
            for key, item in value.items():
                value[key] = member(item)
        return value

    return decode


def _members(members: dict[str, Decoder]) -> Decoder:
    def decode(value: Any) -> Any:
        if isinstance(value, dict):
            for name, member in members.items():
                if name in value and value[name] is not None:
                    value[name] = member(value[name])
        return value

    return decode
