"""The embedded server driven by boto3: queue lifecycle and a message round trip."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def test_round_trip_with_attributes(sqs_client: Any) -> None:
    url = sqs_client.create_queue(QueueName="jobs")["QueueUrl"]
    sent = sqs_client.send_message(
        QueueUrl=url,
        MessageBody="hello",
        MessageAttributes={
            "attribName1": {"DataType": "String", "StringValue": "attribValue 1"},
        },
    )
    # The published check value from the SQS documentation.
    assert sent["MD5OfMessageAttributes"] == "19e27d4e946b072f3f58da80d94fd778"
    got = sqs_client.receive_message(
        QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"]
    )["Messages"]
    assert len(got) == 1
    message = got[0]
    assert message["Body"] == "hello"
    assert message["MessageId"] == sent["MessageId"]
    assert message["MD5OfBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert message["MD5OfMessageAttributes"] == "19e27d4e946b072f3f58da80d94fd778"
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    sqs_client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    attrs = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_missing_queue_is_a_modelled_exception(sqs_client: Any) -> None:
    with pytest.raises(sqs_client.exceptions.QueueDoesNotExist) as info:
        sqs_client.get_queue_url(QueueName="absent")
    assert info.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_out_of_range_attribute_is_rejected(sqs_client: Any) -> None:
    with pytest.raises(ClientError) as info:
        sqs_client.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "43201"})
    assert info.value.response["Error"]["Code"] == "InvalidAttributeValue"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
