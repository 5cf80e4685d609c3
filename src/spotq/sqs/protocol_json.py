"""AWS JSON 1.0: parse a request body into JSON-shape params, render results and errors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from functools import cache
from json.encoder import encode_basestring_ascii
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
    try:
        if body[:2] == b'{"':
            # What json.loads does with such bytes (it detects UTF-8 from the first two bytes),
            # less the detection.
            params: Any = _DECODER.decode(body.decode("utf-8", "surrogatepass"))
        elif not body.strip():
            params = {}
        else:
            params = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise sqs_error("SerializationException", "The request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise sqs_error("SerializationException", "The request body must be a JSON object.")
    # Every blob member's name contains "Binary" (BinaryValue, BinaryListValues); a body without
    # that word or any escape (which could spell it) has no blob to decode.
    if b"Binary" in body or b"\\" in body:
        decoder = _decoders().get(operation)
        if decoder is not None:
            decoder(params)
    return operation, params


def _default(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot serialize {type(value).__name__}")


_DECODER = json.JSONDecoder()
# Results are built fresh for each reply and never refer to themselves: no circularity check.
_ENCODER = json.JSONEncoder(default=_default, separators=(",", ":"), check_circular=False)


def render_result(result: dict[str, Any], operation: str = "") -> bytes:
    """The reply body of a result; the hot operations' usual results are written by templates
    (byte for byte what the encoder writes), anything else by the encoder."""
    fast = _FAST_RENDERERS.get(operation)
    if fast is not None:
        body = fast(result)
        if body is not None:
            return body.encode("ascii")
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


# ------------------------------------------------------------------ templates for the hot replies
# Each returns the reply text, or None when the result is not of the usual shape (the encoder
# then writes it). Member order is the one the service builds these results in, so the text is
# the encoder's own; values go through the encoder's own string escaping.

_esc = encode_basestring_ascii
_MESSAGE = '{"MessageId":%s,"ReceiptHandle":%s,"MD5OfBody":%s,"Body":%s}'
_SENT = '{"Id":%s,"MD5OfMessageBody":%s,"MessageId":%s}'
_DELETED = '{"Id":%s}'


def _each(items: list[Any], size: int, render: Callable[[dict[str, Any]], str]) -> str | None:
    """`render(item)` joined for a list whose every item has exactly `size` members; None when
    one has another size or lacks a member (the encoder then writes the reply)."""
    try:
        parts = [render(item) for item in items if len(item) == size]
    except (KeyError, TypeError):
        return None
    return ",".join(parts) if len(parts) == len(items) else None


def _message(m: dict[str, Any]) -> str:
    return _MESSAGE % (
        _esc(m["MessageId"]),
        _esc(m["ReceiptHandle"]),
        _esc(m["MD5OfBody"]),
        _esc(m["Body"]),
    )


def _sent(e: dict[str, Any]) -> str:
    return _SENT % (_esc(e["Id"]), _esc(e["MD5OfMessageBody"]), _esc(e["MessageId"]))


def _done(e: dict[str, Any]) -> str:
    return _DELETED % _esc(e["Id"])


def _messages(result: dict[str, Any]) -> str | None:
    """ReceiveMessage with messages that carry no attributes."""
    messages = result.get("Messages")
    if len(result) != 1 or type(messages) is not list:
        return None
    parts = _each(messages, 4, _message)
    return None if parts is None else '{"Messages":[' + parts + "]}"


def _all_ok(
    result: dict[str, Any], size: int, render: Callable[[dict[str, Any]], str]
) -> str | None:
    """A batch reply with no failure, each success of exactly `size` members."""
    ok, failed = result.get("Successful"), result.get("Failed")
    if len(result) != 2 or type(ok) is not list or type(failed) is not list or failed:
        return None
    parts = _each(ok, size, render)
    return None if parts is None else '{"Successful":[' + parts + '],"Failed":[]}'


def _all_sent(result: dict[str, Any]) -> str | None:
    """SendMessageBatch with every entry sent, none with attributes."""
    return _all_ok(result, 3, _sent)


def _all_done(result: dict[str, Any]) -> str | None:
    """A batch reply of ids only (DeleteMessageBatch, ChangeMessageVisibilityBatch), none failed."""
    return _all_ok(result, 1, _done)


_FAST_RENDERERS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "ReceiveMessage": _messages,
    "SendMessageBatch": _all_sent,
    "DeleteMessageBatch": _all_done,
    "ChangeMessageVisibilityBatch": _all_done,
}
