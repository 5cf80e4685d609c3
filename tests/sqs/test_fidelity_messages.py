"""Receipt handles, queue and message attributes, and receive as recorded against AWS; each runs
under both protocols."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

ARN = "arn:aws:sqs:us-east-1:000000000000:{}"


def _receive(client: Any, url: str, **extra: Any) -> list[dict[str, Any]]:
    reply = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **extra)
    return list(reply.get("Messages", []))


def _counts(client: Any, url: str) -> tuple[str, str]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return attrs[names[0]], attrs[names[1]]


# ---------------------------------------------------------------------------- receipt handles


def test_change_visibility_with_an_expired_handle_succeeds_on_a_standard_queue(
    client: Any,
) -> None:
    url = client.create_queue(QueueName="s")["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="x")
    handle = _receive(client, url, VisibilityTimeout=1)[0]["ReceiptHandle"]
    time.sleep(1.5)
    client.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=60)
    assert _counts(client, url) == ("0", "1")  # back in flight
    assert _receive(client, url) == []


def test_an_older_handle_of_a_message_received_again_is_accepted(client: Any) -> None:
    url = client.create_queue(QueueName="s")["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="x")
    old = _receive(client, url, VisibilityTimeout=0)[0]["ReceiptHandle"]
    new = _receive(client, url, VisibilityTimeout=60)[0]["ReceiptHandle"]
    assert old != new
    client.change_message_visibility(QueueUrl=url, ReceiptHandle=old, VisibilityTimeout=0)
    assert [m["Body"] for m in _receive(client, url)] == ["x"]


def test_deleting_with_an_expired_handle_fails_on_a_fifo_queue(client: Any) -> None:
    attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    url = client.create_queue(QueueName="f.fifo", Attributes=attrs)["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="G")
    handle = _receive(client, url, VisibilityTimeout=1)[0]["ReceiptHandle"]
    time.sleep(1.5)
    with pytest.raises(ClientError) as info:
        client.delete_message(QueueUrl=url, ReceiptHandle=handle)
    error = info.value.response["Error"]
    assert error["Code"] == "InvalidParameterValue"
    assert error["Message"].endswith("Reason: The receipt handle has expired.")
    reply = client.delete_message_batch(
        QueueUrl=url, Entries=[{"Id": "a", "ReceiptHandle": handle}]
    )
    assert [f["Code"] for f in reply["Failed"]] == ["InvalidParameterValue"]
    assert [m["Body"] for m in _receive(client, url)] == ["x"]  # not deleted
    current = _receive(client, url, VisibilityTimeout=0)
    assert current == []  # in flight under the newest handle


# --------------------------------------------------------------------------------- attributes


def test_fifo_queue_false_is_unknown_on_a_standard_queue(client: Any) -> None:
    with pytest.raises(ClientError) as info:
        client.create_queue(QueueName="s", Attributes={"FifoQueue": "false"})
    error = info.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidAttributeName",
        "Unknown Attribute FifoQueue.",
    )


@pytest.mark.parametrize(
    ("call", "name"),
    [
        ("get", "Bogus"),
        ("get-among-known", "Bogus"),
        ("set", "Bogus"),
        ("set", "ApproximateNumberOfMessages"),
        ("create", "Bogus"),
        ("create", "QueueArn"),
        ("create", "ContentBasedDeduplication"),
    ],
)
def test_unsupported_attribute_names_are_invalid_attribute_name(
    client: Any, call: str, name: str
) -> None:
    """Get/SetQueueAttributes and CreateQueue answer a name SQS does not accept there (unknown,
    read-only, or FIFO-only on a standard queue) with InvalidAttributeName, in AWS's words."""
    url = client.create_queue(QueueName="names")["QueueUrl"]
    with pytest.raises(ClientError) as info:
        if call == "get":
            client.get_queue_attributes(QueueUrl=url, AttributeNames=[name])
        elif call == "get-among-known":
            client.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout", name])
        elif call == "set":
            client.set_queue_attributes(QueueUrl=url, Attributes={name: "1"})
        else:
            client.create_queue(QueueName="other", Attributes={name: "true"})
    error = info.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidAttributeName",
        f"Unknown Attribute {name}.",
    )
    assert isinstance(info.value, client.exceptions.InvalidAttributeName)
    assert "other" not in str(client.list_queues().get("QueueUrls", []))


def test_setting_fifo_queue_true_on_a_fifo_queue_is_a_no_op(client: Any) -> None:
    url = client.create_queue(QueueName="f.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    client.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "true"})
    attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=["FifoQueue"])
    assert attrs["Attributes"] == {"FifoQueue": "true"}


def test_unicode_message_attribute_names_are_valid(client: Any) -> None:
    url = client.create_queue(QueueName="s")["QueueUrl"]
    attrs = {"attr.1øßä": {"DataType": "String", "StringValue": "v"}}
    client.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    got = _receive(client, url, MessageAttributeNames=["All"])
    assert got[0]["MessageAttributes"]["attr.1øßä"]["StringValue"] == "v"


def test_a_control_character_in_an_attribute_value_is_invalid_parameter_value(
    client: Any,
) -> None:
    url = client.create_queue(QueueName="s")["QueueUrl"]
    attrs = {"a": {"DataType": "String", "StringValue": "bad\x01"}}
    with pytest.raises(ClientError) as info:
        client.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    assert info.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_clearing_the_kms_key_clears_its_reuse_period(client: Any) -> None:
    attrs = {"KmsMasterKeyId": "alias/aws/sqs", "KmsDataKeyReusePeriodSeconds": "600"}
    url = client.create_queue(QueueName="k", Attributes=attrs)["QueueUrl"]
    client.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": ""})
    got = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert "KmsMasterKeyId" not in got
    assert "KmsDataKeyReusePeriodSeconds" not in got


# ------------------------------------------------------------------------------------ receive


@pytest.mark.parametrize(
    ("names", "expected"),
    [(["*"], ["Hello", "Help", "other"]), (["Hel.*"], ["Hello", "Help"])],
)
def test_message_attribute_name_patterns(
    client: Any, names: list[str], expected: list[str]
) -> None:
    url = client.create_queue(QueueName="s")["QueueUrl"]
    attrs = {k: {"DataType": "String", "StringValue": k} for k in ("Hello", "Help", "other")}
    client.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    got = _receive(client, url, MessageAttributeNames=names)
    assert sorted(got[0]["MessageAttributes"]) == expected


def test_a_trace_id_header_becomes_the_aws_trace_header(client: Any) -> None:
    url = client.create_queue(QueueName="s")["QueueUrl"]
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"

    def add_header(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = trace

    client.meta.events.register("before-sign.sqs.SendMessage", add_header)
    client.send_message(QueueUrl=url, MessageBody="x")
    got = _receive(client, url, MessageSystemAttributeNames=["AWSTraceHeader"])
    assert got[0]["Attributes"] == {"AWSTraceHeader": trace}


def test_a_dead_lettered_message_keeps_its_receive_count(client: Any) -> None:
    dlq = client.create_queue(QueueName="dlq")["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": ARN.format("dlq"), "maxReceiveCount": 2})
    url = client.create_queue(QueueName="src", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="x")
    for _ in range(2):
        assert len(_receive(client, url, VisibilityTimeout=0)) == 1
    assert _receive(client, url) == []  # the third receive moves it
    got = _receive(client, dlq, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert got[0]["Attributes"]["ApproximateReceiveCount"] == "3"


def test_a_message_visible_again_comes_before_newer_ones(client: Any) -> None:
    url = client.create_queue(QueueName="s")["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="old")
    handle = _receive(client, url, VisibilityTimeout=60)[0]["ReceiptHandle"]
    for index in range(3):
        client.send_message(QueueUrl=url, MessageBody=f"new{index}")
    client.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    first = client.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    assert [m["Body"] for m in first] == ["old"]
