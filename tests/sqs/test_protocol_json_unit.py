"""protocol_json's shortcuts give exactly what the general path gives: the reply templates write
the encoder's text, and parsing without the blob walk or the encoding detection yields the same
parameters and the same errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from spotq.sqs import protocol_json
from spotq.sqs.errors import SqsError


def _encoder(result: dict[str, Any]) -> bytes:
    return protocol_json.render_result(result)  # no operation: always the encoder


def _message(i: int, body: str = "hello") -> dict[str, Any]:
    return {
        "MessageId": f"0000000{i}-0000-4000-8000-000000000000",
        "ReceiptHandle": f"0123456789abcdef1.{i:x}",
        "MD5OfBody": "5d41402abc4b2a76b9719d911017c592",
        "Body": body,
    }


BODIES = ["plain", 'quote " back \\ slash', "tab\tnew\nline\r", "é ß 漢 😀", "x\ud800y", "<&>"]

HOT_RESULTS = [
    ("ReceiveMessage", {"Messages": [_message(i, body) for i, body in enumerate(BODIES)]}),
    ("ReceiveMessage", {"Messages": []}),
    (
        "SendMessageBatch",
        {
            "Successful": [
                {"Id": f"id-{i}", "MD5OfMessageBody": "d41d8cd9", "MessageId": f"m{i}"}
                for i in range(10)
            ],
            "Failed": [],
        },
    ),
    ("DeleteMessageBatch", {"Successful": [{"Id": str(i)} for i in range(10)], "Failed": []}),
    ("ChangeMessageVisibilityBatch", {"Successful": [{"Id": "a_b-c"}], "Failed": []}),
]


@pytest.mark.parametrize(("operation", "result"), HOT_RESULTS)
def test_a_template_writes_the_encoders_text(operation: str, result: dict[str, Any]) -> None:
    assert protocol_json.render_result(result, operation) == _encoder(result)


OTHER_SHAPES = [
    ("ReceiveMessage", {}),
    ("ReceiveMessage", {"Messages": [{**_message(1), "Attributes": {"SenderId": "x"}}]}),
    ("ReceiveMessage", {"Messages": [{**_message(1), "Body": 7}]}),
    (
        "ReceiveMessage",
        {"Messages": [{k: v for k, v in _message(1).items() if k != "Body"} | {"X": "y"}]},
    ),
    (
        "SendMessageBatch",
        {
            "Successful": [
                {
                    "Id": "1",
                    "MD5OfMessageBody": "m",
                    "MessageId": "i",
                    "MD5OfMessageAttributes": "a",
                }
            ],
            "Failed": [],
        },
    ),
    (
        "SendMessageBatch",
        {
            "Successful": [],
            "Failed": [{"Id": "1", "SenderFault": True, "Code": "C", "Message": "M"}],
        },
    ),
    (
        "DeleteMessageBatch",
        {
            "Successful": [{"Id": "0"}],
            "Failed": [{"Id": "1", "SenderFault": True, "Code": "C", "Message": "M"}],
        },
    ),
    ("DeleteMessageBatch", {"Successful": [{"Id": "0", "Extra": 1}], "Failed": []}),
]


@pytest.mark.parametrize(("operation", "result"), OTHER_SHAPES)
def test_other_shapes_fall_back_to_the_encoder(operation: str, result: dict[str, Any]) -> None:
    rendered = protocol_json.render_result(result, operation)
    assert rendered == _encoder(result)
    assert json.loads(rendered) == result


def test_blob_members_are_decoded_with_or_without_escapes() -> None:
    value = {"DataType": "Binary", "BinaryValue": "AAE="}
    body = {"QueueUrl": "u", "MessageBody": "b", "MessageAttributes": {"a": value}}
    plain = json.dumps(body).encode()
    _, params = protocol_json.parse_request("AmazonSQS.SendMessage", plain)
    assert params["MessageAttributes"]["a"]["BinaryValue"] == b"\x00\x01"
    # "Binary" spelled with an escape still names the blob member (and its data type).
    escaped = plain.replace(b"Binary", b"\\u0042inary")
    assert b"Binary" not in escaped
    _, params = protocol_json.parse_request("AmazonSQS.SendMessage", escaped)
    assert params["MessageAttributes"]["a"] == {"DataType": "Binary", "BinaryValue": b"\x00\x01"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"QueueUrl": "u"}',
        b'  {"QueueUrl": "u"}  ',
        b'{"QueueUrl": "\xc3\xa9"}',
        json.dumps({"QueueUrl": "é"}).encode("utf-16"),
        json.dumps({"QueueUrl": "é"}).encode("utf-16-le"),
        b"",
        b"   ",
    ],
)
def test_parsing_matches_json_loads(body: bytes) -> None:
    expected = json.loads(body) if body.strip() else {}
    assert protocol_json.parse_request("AmazonSQS.GetQueueUrl", body)[1] == expected


@pytest.mark.parametrize(
    "body", [b'{"QueueUrl": "u"', b'{"QueueUrl": "\xff"}', b'{"a": 1} x', b"[1]", b'{"' * 100000]
)
def test_bad_bodies_are_serialization_exceptions(body: bytes) -> None:
    with pytest.raises(SqsError) as caught:
        protocol_json.parse_request("AmazonSQS.GetQueueUrl", body)
    assert caught.value.shape == "SerializationException"
