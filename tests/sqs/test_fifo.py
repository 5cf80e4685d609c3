"""FIFO queues through boto3: group ordering, group hold, deduplication, receive attempt ids."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def fifo_url(sqs_client: Any) -> str:
    return str(
        sqs_client.create_queue(
            QueueName="jobs.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
        )["QueueUrl"]
    )


def _send(client: Any, url: str, body: str, group: str) -> dict[str, Any]:
    reply: dict[str, Any] = client.send_message(
        QueueUrl=url, MessageBody=body, MessageGroupId=group
    )
    return reply


def test_group_order_and_hold(sqs_client: Any, fifo_url: str) -> None:
    for i in range(3):
        _send(sqs_client, fifo_url, f"a{i}", "A")
    _send(sqs_client, fifo_url, "b0", "B")
    first = sqs_client.receive_message(QueueUrl=fifo_url, MaxNumberOfMessages=2)["Messages"]
    assert [m["Body"] for m in first] == ["a0", "a1"]
    # Group A is held while a0/a1 are in flight; only group B can be delivered.
    second = sqs_client.receive_message(QueueUrl=fifo_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in second] == ["b0"]
    assert "Messages" not in sqs_client.receive_message(QueueUrl=fifo_url)
    for message in first:
        sqs_client.delete_message(QueueUrl=fifo_url, ReceiptHandle=message["ReceiptHandle"])
    third = sqs_client.receive_message(QueueUrl=fifo_url, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in third] == ["a2"]
    assert third[0]["Attributes"]["MessageGroupId"] == "A"
    assert int(third[0]["Attributes"]["SequenceNumber"]) > 0


def test_sequence_numbers_increase(sqs_client: Any, fifo_url: str) -> None:
    numbers = [int(_send(sqs_client, fifo_url, f"m{i}", "G")["SequenceNumber"]) for i in range(3)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3


def test_content_based_deduplication(sqs_client: Any, fifo_url: str) -> None:
    one = _send(sqs_client, fifo_url, "same", "G")
    two = _send(sqs_client, fifo_url, "same", "G")
    assert one["MessageId"] == two["MessageId"]
    got = sqs_client.receive_message(QueueUrl=fifo_url, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 1


def test_explicit_deduplication_id(sqs_client: Any) -> None:
    url = sqs_client.create_queue(QueueName="d.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    with pytest.raises(ClientError) as info:
        sqs_client.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="G")
    assert info.value.response["Error"]["Code"] == "InvalidParameterValue"
    a = sqs_client.send_message(
        QueueUrl=url, MessageBody="x", MessageGroupId="G", MessageDeduplicationId="d1"
    )
    b = sqs_client.send_message(
        QueueUrl=url, MessageBody="other", MessageGroupId="G", MessageDeduplicationId="d1"
    )
    assert a["MessageId"] == b["MessageId"]


def test_fifo_rules(sqs_client: Any, fifo_url: str) -> None:
    with pytest.raises(ClientError) as info:
        sqs_client.send_message(QueueUrl=fifo_url, MessageBody="x")
    assert info.value.response["Error"]["Code"] == "MissingParameter"
    with pytest.raises(ClientError) as info:
        sqs_client.send_message(
            QueueUrl=fifo_url, MessageBody="x", MessageGroupId="G", DelaySeconds=5
        )
    assert info.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_receive_request_attempt_id_returns_the_same_messages(
    sqs_client: Any, fifo_url: str
) -> None:
    _send(sqs_client, fifo_url, "m1", "G")
    _send(sqs_client, fifo_url, "m2", "H")
    first = sqs_client.receive_message(
        QueueUrl=fifo_url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="try-1"
    )["Messages"]
    retry = sqs_client.receive_message(
        QueueUrl=fifo_url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="try-1"
    )["Messages"]
    assert [m["ReceiptHandle"] for m in retry] == [m["ReceiptHandle"] for m in first]
    assert "Messages" not in sqs_client.receive_message(
        QueueUrl=fifo_url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="try-2"
    )
