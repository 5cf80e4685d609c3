"""Dead-letter redrive after exactly maxReceiveCount receives, and message move tasks back."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

ARN = "arn:aws:sqs:us-east-1:000000000000:{}"


def _pair(client: Any, max_receives: int) -> tuple[str, str]:
    dlq = client.create_queue(QueueName="dead")["QueueUrl"]
    policy = json.dumps(
        {"deadLetterTargetArn": ARN.format("dead"), "maxReceiveCount": max_receives}
    )
    src = client.create_queue(QueueName="src", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    return str(src), str(dlq)


def test_redrive_after_exactly_max_receive_count(sqs_client: Any) -> None:
    src, dlq = _pair(sqs_client, 3)
    sent = sqs_client.send_message(QueueUrl=src, MessageBody="poison")
    for expected in (1, 2, 3):
        got = sqs_client.receive_message(QueueUrl=src, VisibilityTimeout=0, AttributeNames=["All"])
        assert got["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == str(expected)
    assert "Messages" not in sqs_client.receive_message(QueueUrl=src)
    dead = sqs_client.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"][0]
    assert dead["MessageId"] == sent["MessageId"]
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == ARN.format("src")


def test_move_task_returns_messages_to_their_source(sqs_client: Any) -> None:
    src, _dlq = _pair(sqs_client, 1)
    sqs_client.send_message_batch(
        QueueUrl=src, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)]
    )
    sqs_client.receive_message(QueueUrl=src, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert "Messages" not in sqs_client.receive_message(QueueUrl=src, MaxNumberOfMessages=10)
    handle = sqs_client.start_message_move_task(SourceArn=ARN.format("dead"))["TaskHandle"]
    with pytest.raises(ClientError) as info:  # one active task per source
        sqs_client.start_message_move_task(SourceArn=ARN.format("dead"))
    assert info.value.response["Error"]["Code"] == "InvalidParameterValue"
    deadline = time.monotonic() + 10
    tasks: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        tasks = sqs_client.list_message_move_tasks(SourceArn=ARN.format("dead"))["Results"]
        if tasks[0]["Status"] == "COMPLETED":
            break
        time.sleep(0.05)
    assert tasks[0]["Status"] == "COMPLETED"
    assert tasks[0]["ApproximateNumberOfMessagesMoved"] == 3
    assert "TaskHandle" not in tasks[0] and handle
    got = sqs_client.receive_message(QueueUrl=src, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in got) == ["m0", "m1", "m2"]
    # A well-formed handle of no task (a malformed one is InvalidParameterValue).
    unknown = base64.b64encode(b'{"taskId": "x", "sourceArn": "arn:aws:sqs:us-east-1:0:q"}')
    with pytest.raises(sqs_client.exceptions.ResourceNotFoundException):
        sqs_client.cancel_message_move_task(TaskHandle=unknown.decode())


def test_rate_limited_move_task_can_be_cancelled(sqs_client: Any) -> None:
    _src, dlq = _pair(sqs_client, 1)
    sqs_client.send_message_batch(
        QueueUrl=dlq, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(10)]
    )
    handle = sqs_client.start_message_move_task(
        SourceArn=ARN.format("dead"),
        DestinationArn=ARN.format("src"),
        MaxNumberOfMessagesPerSecond=1,
    )["TaskHandle"]
    moved = sqs_client.cancel_message_move_task(TaskHandle=handle)[
        "ApproximateNumberOfMessagesMoved"
    ]
    assert moved < 10
    task = sqs_client.list_message_move_tasks(SourceArn=ARN.format("dead"))["Results"][0]
    assert task["Status"] == "CANCELLED"
    assert task["MaxNumberOfMessagesPerSecond"] == 1


def test_move_task_needs_a_dead_letter_queue(sqs_client: Any) -> None:
    sqs_client.create_queue(QueueName="plain")
    with pytest.raises(sqs_client.exceptions.ResourceNotFoundException):
        sqs_client.start_message_move_task(SourceArn=ARN.format("absent"))
    with pytest.raises(ClientError) as info:
        sqs_client.start_message_move_task(SourceArn=ARN.format("plain"))
    assert info.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_fifo_redrive_keeps_the_group_moving(sqs_client: Any) -> None:
    fifo = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    dlq = sqs_client.create_queue(QueueName="dead.fifo", Attributes=fifo)["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": ARN.format("dead.fifo"), "maxReceiveCount": 1})
    src = sqs_client.create_queue(
        QueueName="src.fifo", Attributes={**fifo, "RedrivePolicy": policy}
    )["QueueUrl"]
    for body in ("first", "second"):
        sqs_client.send_message(QueueUrl=src, MessageBody=body, MessageGroupId="g")
    got = sqs_client.receive_message(QueueUrl=src, VisibilityTimeout=0)["Messages"]
    assert [m["Body"] for m in got] == ["first"]
    # "first" has been received maxReceiveCount times: it moves, and "second" is next in line.
    again = sqs_client.receive_message(QueueUrl=src, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in again] == ["second"]
    dead = sqs_client.receive_message(QueueUrl=dlq, AttributeNames=["MessageGroupId"])
    assert dead["Messages"][0]["Body"] == "first"
    assert dead["Messages"][0]["Attributes"]["MessageGroupId"] == "g"


def test_a_receive_that_redrives_one_message_delivers_the_others_once(sqs_client: Any) -> None:
    # The refill after a redrive must not pick the rows it already chose (their in-flight mark
    # is written after the reply): each message once, and the counts match the messages.
    src, dlq = _pair(sqs_client, 1)
    sqs_client.send_message(QueueUrl=src, MessageBody="first")
    first = sqs_client.receive_message(QueueUrl=src, VisibilityTimeout=0)["Messages"]
    assert [m["Body"] for m in first] == ["first"]  # visible again at once, now at its max
    sqs_client.send_message_batch(
        QueueUrl=src, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)]
    )
    got = sqs_client.receive_message(QueueUrl=src, MaxNumberOfMessages=10, VisibilityTimeout=30)
    bodies = sorted(m["Body"] for m in got["Messages"])
    assert bodies == ["m0", "m1", "m2"]
    attrs = sqs_client.get_queue_attributes(QueueUrl=src, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "3"
    dead = sqs_client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    assert dead["ApproximateNumberOfMessages"] == "1"
