"""Message operations, limits and batch failures through boto3 against the real server."""

from __future__ import annotations

import hashlib
import struct
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


@pytest.fixture
def url(sqs_client: Any) -> str:
    return str(sqs_client.create_queue(QueueName="work")["QueueUrl"])


def test_batch_send_reports_entry_failures_in_a_200(sqs_client: Any, url: str) -> None:
    reply = sqs_client.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "MessageBody": "fine"},
            {"Id": "bad", "MessageBody": "x", "DelaySeconds": 901},
            {"Id": "chars", "MessageBody": "nul \x00 here"},
        ],
    )
    assert [e["Id"] for e in reply["Successful"]] == ["ok"]
    failed = {e["Id"]: e for e in reply["Failed"]}
    assert failed["bad"]["Code"] == "InvalidParameterValue"
    assert failed["bad"]["SenderFault"] is True
    assert failed["chars"]["Code"] == "InvalidMessageContents"
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_batch_request_rules(sqs_client: Any, url: str) -> None:
    with pytest.raises(sqs_client.exceptions.TooManyEntriesInBatchRequest):
        sqs_client.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(11)]
        )
    with pytest.raises(sqs_client.exceptions.BatchEntryIdsNotDistinct):
        sqs_client.send_message_batch(
            QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}]
        )
    with pytest.raises(sqs_client.exceptions.InvalidBatchEntryId):
        sqs_client.send_message_batch(
            QueueUrl=url, Entries=[{"Id": "no spaces", "MessageBody": "x"}]
        )
    with pytest.raises(sqs_client.exceptions.EmptyBatchRequest):
        sqs_client.delete_message_batch(QueueUrl=url, Entries=[])
    big = "x" * 200_000
    with pytest.raises(sqs_client.exceptions.BatchRequestTooLong):
        sqs_client.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": big} for i in range(6)]
        )


def test_message_size_limit_follows_the_queue(sqs_client: Any, url: str) -> None:
    sqs_client.send_message(QueueUrl=url, MessageBody="x" * 1_048_576)
    with pytest.raises(ClientError) as info:
        sqs_client.send_message(QueueUrl=url, MessageBody="x" * 1_048_577)
    assert _code(info) == "InvalidParameterValue"
    sqs_client.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "1024"})
    with pytest.raises(ClientError):
        sqs_client.send_message(QueueUrl=url, MessageBody="x" * 1025)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"MaxNumberOfMessages": 11},
        {"MaxNumberOfMessages": 0},
        {"WaitTimeSeconds": 21},
        {"VisibilityTimeout": 43_201},
    ],
)
def test_receive_ranges(sqs_client: Any, url: str, kwargs: dict[str, int]) -> None:
    with pytest.raises(ClientError) as info:
        sqs_client.receive_message(QueueUrl=url, **kwargs)
    assert _code(info) == "InvalidParameterValue"


@pytest.mark.parametrize(
    "attributes",
    [
        {"AWS.reserved": {"DataType": "String", "StringValue": "x"}},
        {"n": {"DataType": "Number", "StringValue": "not a number"}},
        {"t": {"DataType": "Strange", "StringValue": "x"}},
        {"e": {"DataType": "String", "StringValue": ""}},
        {f"a{i}": {"DataType": "String", "StringValue": "x"} for i in range(11)},
    ],
)
def test_message_attribute_rules(sqs_client: Any, url: str, attributes: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as info:
        sqs_client.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
    assert _code(info) == "InvalidParameterValue"


def test_attribute_filters_and_binary_values(sqs_client: Any, url: str) -> None:
    attrs = {
        "img.w": {"DataType": "Number", "StringValue": "640"},
        "img.raw": {"DataType": "Binary.png", "BinaryValue": b"\x89PNG\x00"},
        "other": {"DataType": "String", "StringValue": "o"},
    }
    sqs_client.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    got = sqs_client.receive_message(QueueUrl=url, MessageAttributeNames=["img.*"])["Messages"][0]
    assert set(got["MessageAttributes"]) == {"img.w", "img.raw"}
    assert got["MessageAttributes"]["img.raw"]["BinaryValue"] == b"\x89PNG\x00"


def test_trace_header_system_attribute_digest(sqs_client: Any, url: str) -> None:
    sent = sqs_client.send_message(
        QueueUrl=url,
        MessageBody="x",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1"}},
    )
    # The documented encoding, spelled out: length-prefixed name, type, transport byte 1, value.
    expected = hashlib.md5(
        b"".join(
            struct.pack(">I", len(part)) + part if part != b"\x01" else part
            for part in (b"AWSTraceHeader", b"String", b"\x01", b"Root=1")
        )
    ).hexdigest()
    assert sent["MD5OfMessageSystemAttributes"] == expected
    got = sqs_client.receive_message(QueueUrl=url, MessageSystemAttributeNames=["AWSTraceHeader"])
    assert got["Messages"][0]["Attributes"] == {"AWSTraceHeader": "Root=1"}


def test_visibility_change_and_expiry(sqs_client: Any, url: str) -> None:
    sqs_client.send_message(QueueUrl=url, MessageBody="x")
    first = sqs_client.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"][0]
    assert "Messages" not in sqs_client.receive_message(QueueUrl=url)
    time.sleep(1.2)
    second = sqs_client.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"][0]
    assert second["MessageId"] == first["MessageId"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    sqs_client.change_message_visibility(
        QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=0
    )
    third = sqs_client.receive_message(QueueUrl=url)["Messages"][0]
    sqs_client.change_message_visibility(
        QueueUrl=url, ReceiptHandle=third["ReceiptHandle"], VisibilityTimeout=0
    )
    # Already visible: on a standard queue the handle still works (as in SQS), changing nothing.
    sqs_client.change_message_visibility(
        QueueUrl=url, ReceiptHandle=third["ReceiptHandle"], VisibilityTimeout=0
    )
    assert sqs_client.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "x"


def test_a_visible_message_of_a_fifo_queue_is_not_in_flight(sqs_client: Any) -> None:
    attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    url = sqs_client.create_queue(QueueName="nf.fifo", Attributes=attrs)["QueueUrl"]
    sqs_client.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="G")
    got = sqs_client.receive_message(QueueUrl=url)["Messages"][0]
    sqs_client.change_message_visibility(
        QueueUrl=url, ReceiptHandle=got["ReceiptHandle"], VisibilityTimeout=0
    )
    with pytest.raises(sqs_client.exceptions.MessageNotInflight):
        sqs_client.change_message_visibility(
            QueueUrl=url, ReceiptHandle=got["ReceiptHandle"], VisibilityTimeout=0
        )


def test_stale_receipt_does_not_delete_a_redelivered_message(sqs_client: Any, url: str) -> None:
    sqs_client.send_message(QueueUrl=url, MessageBody="x")
    old = sqs_client.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]
    new = sqs_client.receive_message(QueueUrl=url)["Messages"][0]
    sqs_client.delete_message(QueueUrl=url, ReceiptHandle=old["ReceiptHandle"])
    attrs = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
    sqs_client.delete_message(QueueUrl=url, ReceiptHandle=new["ReceiptHandle"])
    attrs = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_bad_receipt_handles(sqs_client: Any, url: str) -> None:
    with pytest.raises(sqs_client.exceptions.ReceiptHandleIsInvalid):
        sqs_client.delete_message(QueueUrl=url, ReceiptHandle="garbage")
    reply = sqs_client.change_message_visibility_batch(
        QueueUrl=url, Entries=[{"Id": "a", "ReceiptHandle": "garbage", "VisibilityTimeout": 5}]
    )
    assert reply["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"


def test_delayed_messages_are_counted_and_then_delivered(sqs_client: Any, url: str) -> None:
    sqs_client.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    attrs = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
    assert "Messages" not in sqs_client.receive_message(QueueUrl=url)
    got = sqs_client.receive_message(QueueUrl=url, WaitTimeSeconds=5)
    assert got["Messages"][0]["Body"] == "later"


def test_change_visibility_batch_and_delete_batch(sqs_client: Any, url: str) -> None:
    sqs_client.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)]
    )
    got = sqs_client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 3
    entries = [
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
        for i, m in enumerate(got)
    ]
    assert (
        len(sqs_client.change_message_visibility_batch(QueueUrl=url, Entries=entries)["Successful"])
        == 3
    )
    again = sqs_client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    reply = sqs_client.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(again)],
    )
    assert len(reply["Successful"]) == 3 and reply["Failed"] == []


def test_escaped_one_mib_message_is_accepted(sqs_client: Any, url: str) -> None:
    body = "é" * (1_048_576 // 2)  # 1 MiB of UTF-8 that JSON sends as \u00e9 escapes (3 MiB)
    sqs_client.send_message(QueueUrl=url, MessageBody=body)
    got = sqs_client.receive_message(QueueUrl=url)["Messages"][0]
    assert got["Body"] == body


def test_oversized_request_gets_a_413_through_boto3(sqs_client: Any, url: str) -> None:
    with pytest.raises(ClientError) as info:
        sqs_client.send_message(QueueUrl=url, MessageBody="x" * 5_000_000)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
