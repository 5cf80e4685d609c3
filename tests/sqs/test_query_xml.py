"""The generated query-protocol writers write, byte for byte, what a walk over the model writes
(the reference below is that walk), and `text` escapes as the plain regex-and-translate does."""

from __future__ import annotations

import base64
import random
import re
from typing import Any

import pytest

from spotq.sqs import protocol_query
from spotq.sqs.query_xml import text, wire_name

from .test_query_protocol_unit import MESSAGE, RESULTS

_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"})


def _reference_text(value: str) -> str:
    return _INVALID.sub("\ufffd", value).translate(_ESCAPES)


def _walk_members(shape: Any, value: dict[str, Any], out: list[str]) -> None:
    for name, member in shape.members.items():
        item = value.get(name)
        if item is not None:
            _walk(member, item, wire_name(member, name), out)


def _walk(shape: Any, value: Any, name: str, out: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        out.append(f"<{name}>")
        _walk_members(shape, value, out)
        out.append(f"</{name}>")
    elif kind == "list":
        element = str(shape.member.serialization.get("name", "member"))
        flattened = shape.serialization.get("flattened")
        out.extend([] if flattened else [f"<{name}>"])
        for item in value:
            _walk(shape.member, item, name if flattened else element, out)
        out.extend([] if flattened else [f"</{name}>"])
    elif kind == "map":
        key_name = str(shape.key.serialization.get("name", "key"))
        value_name = str(shape.value.serialization.get("name", "value"))
        flattened = shape.serialization.get("flattened")
        entry = name if flattened else "entry"
        out.extend([] if flattened else [f"<{name}>"])
        for key, item in value.items():
            out.append(f"<{entry}><{key_name}>{_reference_text(str(key))}</{key_name}>")
            _walk(shape.value, item, value_name, out)
            out.append(f"</{entry}>")
        out.extend([] if flattened else [f"</{name}>"])
    elif kind == "boolean":
        out.append(f"<{name}>{'true' if value else 'false'}</{name}>")
    elif kind == "blob":
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        out.append(f"<{name}>{base64.b64encode(raw).decode('ascii')}</{name}>")
    else:
        out.append(f"<{name}>{_reference_text(str(value))}</{name}>")


def _reference(operation: str, result: dict[str, Any], request_id: str) -> bytes:
    shape = protocol_query._operation_model(operation).output_shape
    out = [f'<?xml version="1.0"?><{operation}Response xmlns="{protocol_query.NAMESPACE}">']
    if shape is not None:
        out.append(f"<{operation}Result>")
        _walk_members(shape, result, out)
        out.append(f"</{operation}Result>")
    out.append(f"<ResponseMetadata><RequestId>{_reference_text(request_id)}</RequestId>")
    out.append(f"</ResponseMetadata></{operation}Response>")
    return "".join(out).encode()


ODD = "tab\t nl\n cr\r nul\x00 esc\x1b del\x7f nbsp\xa0 lone\ud800 fffe\ufffe 😀 <&>"
EXTRA = [
    ("ReceiveMessage", {"Messages": [{**MESSAGE, "Body": ODD, "MessageAttributes": {}}]}),
    ("ReceiveMessage", {"Messages": []}),
    ("ReceiveMessage", {}),
    ("GetQueueAttributes", {"Attributes": {"Policy": '{"a": "<&>"}', ODD: ODD}}),
    ("ListQueues", {"QueueUrls": []}),
    ("CancelMessageMoveTask", {"ApproximateNumberOfMessagesMoved": True}),
]


@pytest.mark.parametrize(("operation", "result"), [*RESULTS.items(), *EXTRA])
def test_generated_writers_write_what_the_model_walk_writes(
    operation: str, result: dict[str, Any]
) -> None:
    rendered = protocol_query.render_query_response(operation, result, "rid <1>")
    assert rendered == _reference(operation, result, "rid <1>")


def test_operations_without_output() -> None:
    for operation in ("DeleteQueue", "PurgeQueue", "TagQueue"):
        assert protocol_query.render_query_response(operation, {}, "r") == _reference(
            operation, {}, "r"
        )


def test_an_unknown_operation_is_invalid_action() -> None:
    with pytest.raises(protocol_query.SqsError) as caught:
        protocol_query.render_query_response("Nope", {}, "r")
    assert caught.value.code == "InvalidAction"


def test_text_escapes_as_the_regex_and_translate_do() -> None:
    rng = random.Random(5)
    alphabet = "ab <&>\t\n\r\x00\x1f\x7f\x85\xa0\u2028\ud800\udfff\ue000\ufffd\ufffe\uffff😀é"
    for _ in range(5000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(8)))
        assert text(value) == _reference_text(value), repr(value)
    for code in range(0x10000):
        assert text(chr(code)) == _reference_text(chr(code)), hex(code)
