"""Queue-level operations through boto3 against the real server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def test_create_is_idempotent_and_conflicts_on_other_attributes(sqs_client: Any) -> None:
    first = sqs_client.create_queue(QueueName="a", Attributes={"DelaySeconds": "5"})
    again = sqs_client.create_queue(QueueName="a", Attributes={"DelaySeconds": "5"})
    assert first["QueueUrl"] == again["QueueUrl"]
    with pytest.raises(sqs_client.exceptions.QueueNameExists) as info:
        sqs_client.create_queue(QueueName="a", Attributes={"DelaySeconds": "6"})
    assert _code(info) == "QueueAlreadyExists"


@pytest.mark.parametrize("name", ["", "a" * 81, "bad name", "x.fifo", "dots.in.name"])
def test_invalid_queue_names(sqs_client: Any, name: str) -> None:
    with pytest.raises(ClientError) as info:
        sqs_client.create_queue(QueueName=name)
    assert _code(info) in ("InvalidParameterValue", "MissingParameter")


def test_fifo_queue_needs_fifo_suffix_and_flag(sqs_client: Any) -> None:
    with pytest.raises(ClientError) as info:
        sqs_client.create_queue(QueueName="plain", Attributes={"FifoQueue": "true"})
    assert _code(info) == "InvalidParameterValue"
    url = sqs_client.create_queue(QueueName="f.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    attrs = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["DeduplicationScope"] == "queue"
    assert attrs["FifoThroughputLimit"] == "perQueue"


def test_list_queues_with_prefix_and_pages(sqs_client: Any) -> None:
    for name in ("p-1", "p-2", "p-3", "other"):
        sqs_client.create_queue(QueueName=name)
    urls = sqs_client.list_queues(QueueNamePrefix="p-")["QueueUrls"]
    assert [u.rsplit("/", 1)[1] for u in urls] == ["p-1", "p-2", "p-3"]
    page = sqs_client.list_queues(QueueNamePrefix="p-", MaxResults=2)
    assert len(page["QueueUrls"]) == 2
    rest = sqs_client.list_queues(QueueNamePrefix="p-", MaxResults=2, NextToken=page["NextToken"])
    assert [u.rsplit("/", 1)[1] for u in rest["QueueUrls"]] == ["p-3"]
    assert "NextToken" not in rest
    assert "QueueUrls" not in sqs_client.list_queues(QueueNamePrefix="zzz")


def test_get_queue_url_and_url_host_is_ignored(sqs_client: Any) -> None:
    url = sqs_client.create_queue(QueueName="hosted")["QueueUrl"]
    assert sqs_client.get_queue_url(QueueName="hosted")["QueueUrl"] == url
    foreign = "https://sqs.us-east-1.amazonaws.com/000000000000/hosted"
    sqs_client.send_message(QueueUrl=foreign, MessageBody="via another host")
    attrs = sqs_client.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attrs == {"ApproximateNumberOfMessages": "1"}


def test_delete_queue_then_recreate_is_refused(sqs_client: Any) -> None:
    url = sqs_client.create_queue(QueueName="gone")["QueueUrl"]
    sqs_client.delete_queue(QueueUrl=url)
    with pytest.raises(sqs_client.exceptions.QueueDoesNotExist):
        sqs_client.get_queue_attributes(QueueUrl=url)
    with pytest.raises(sqs_client.exceptions.QueueDeletedRecently) as info:
        sqs_client.create_queue(QueueName="gone")
    assert _code(info) == "AWS.SimpleQueueService.QueueDeletedRecently"


def test_purge_removes_messages_and_limits_rate(sqs_client: Any) -> None:
    url = sqs_client.create_queue(QueueName="purged")["QueueUrl"]
    sqs_client.send_message(QueueUrl=url, MessageBody="x")
    sqs_client.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs_client.receive_message(QueueUrl=url)
    with pytest.raises(sqs_client.exceptions.PurgeQueueInProgress) as info:
        sqs_client.purge_queue(QueueUrl=url)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_set_and_get_attributes(sqs_client: Any) -> None:
    url = sqs_client.create_queue(QueueName="attrs")["QueueUrl"]
    sqs_client.set_queue_attributes(
        QueueUrl=url, Attributes={"VisibilityTimeout": "100", "MaximumMessageSize": "2048"}
    )
    got = sqs_client.get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout", "MaximumMessageSize", "QueueArn"]
    )["Attributes"]
    assert got == {
        "VisibilityTimeout": "100",
        "MaximumMessageSize": "2048",
        "QueueArn": "arn:aws:sqs:us-east-1:000000000000:attrs",
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VisibilityTimeout", "-1"),
        ("DelaySeconds", "901"),
        ("MaximumMessageSize", "1023"),
        ("MessageRetentionPeriod", "59"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
        ("VisibilityTimeout", "ten"),
        ("RedrivePolicy", "not json"),
        ("Policy", "[]"),
    ],
)
def test_attribute_ranges(sqs_client: Any, name: str, value: str) -> None:
    url = sqs_client.create_queue(QueueName="ranges")["QueueUrl"]
    with pytest.raises(sqs_client.exceptions.InvalidAttributeValue):
        sqs_client.set_queue_attributes(QueueUrl=url, Attributes={name: value})


def test_unknown_and_read_only_attribute_names(sqs_client: Any) -> None:
    url = sqs_client.create_queue(QueueName="names")["QueueUrl"]
    with pytest.raises(sqs_client.exceptions.InvalidAttributeName):
        sqs_client.set_queue_attributes(QueueUrl=url, Attributes={"QueueArn": "x"})
    with pytest.raises(sqs_client.exceptions.InvalidAttributeName):
        sqs_client.set_queue_attributes(
            QueueUrl=url, Attributes={"FifoThroughputLimit": "perQueue"}
        )


def test_tags(sqs_client: Any) -> None:
    url = sqs_client.create_queue(QueueName="tagged", tags={"team": "ml"})["QueueUrl"]
    sqs_client.tag_queue(QueueUrl=url, Tags={"env": "dev"})
    assert sqs_client.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "ml", "env": "dev"}
    sqs_client.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert sqs_client.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}


def test_permissions_are_stored_in_the_policy(sqs_client: Any) -> None:
    url = sqs_client.create_queue(QueueName="shared")["QueueUrl"]
    sqs_client.add_permission(
        QueueUrl=url, Label="workers", AWSAccountIds=["111122223333"], Actions=["SendMessage"]
    )
    policy = json.loads(
        sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"][
            "Policy"
        ]
    )
    assert [s["Sid"] for s in policy["Statement"]] == ["workers"]
    assert policy["Statement"][0]["Action"] == "SQS:SendMessage"
    with pytest.raises(ClientError) as info:
        sqs_client.add_permission(
            QueueUrl=url, Label="workers", AWSAccountIds=["111122223333"], Actions=["*"]
        )
    assert _code(info) == "InvalidParameterValue"
    sqs_client.remove_permission(QueueUrl=url, Label="workers")
    attrs = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert "Policy" not in attrs


def test_dead_letter_sources_and_allow_policy(sqs_client: Any) -> None:
    dlq = sqs_client.create_queue(
        QueueName="dlq",
        Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})},
    )["QueueUrl"]
    dlq_arn = "arn:aws:sqs:us-east-1:000000000000:dlq"
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
    with pytest.raises(sqs_client.exceptions.InvalidAttributeValue):
        sqs_client.create_queue(QueueName="src", Attributes={"RedrivePolicy": redrive})
    sqs_client.set_queue_attributes(
        QueueUrl=dlq,
        Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "allowAll"})},
    )
    src = sqs_client.create_queue(QueueName="src", Attributes={"RedrivePolicy": redrive})[
        "QueueUrl"
    ]
    assert sqs_client.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]
    missing = json.dumps({"deadLetterTargetArn": dlq_arn + "-nope", "maxReceiveCount": 3})
    with pytest.raises(sqs_client.exceptions.InvalidAttributeValue):
        sqs_client.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": missing})


@pytest.mark.parametrize("token", ["é", "!!!", "////"])
def test_bad_next_token(sqs_client: Any, token: str) -> None:
    with pytest.raises(ClientError) as info:
        sqs_client.list_queues(MaxResults=1, NextToken=token)
    assert _code(info) == "InvalidParameterValue"
