"""Errors as AWS answers them: JSON `__type` shape names beside the legacy query code, empty
batches, unknown operations, operations sent to the wrong endpoint, move-task handles, and the
policy document AddPermission writes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from botocore.exceptions import ClientError

from spotq.sqs.protocol_query import NAMESPACE

NS = {"q": NAMESPACE}


def _raw(
    url: str, body: bytes, headers: dict[str, str], method: str = "POST"
) -> tuple[int, Any, bytes]:
    request = urllib.request.Request(url, data=body or None, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def _json_call(endpoint: str, operation: str, params: dict[str, Any]) -> tuple[int, Any, Any]:
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"AmazonSQS.{operation}",
    }
    status, reply_headers, body = _raw(endpoint, json.dumps(params).encode(), headers)
    return status, reply_headers, json.loads(body)


@pytest.mark.parametrize(
    ("operation", "params", "json_type", "query_code"),
    [
        (
            "ReceiveMessage",
            {"MaxNumberOfMessages": 11},
            "InvalidParameterValueException",
            "InvalidParameterValue",
        ),
        ("SendMessage", {}, "MissingRequiredParameterException", "MissingParameter"),
        ("GetQueueUrl", {"QueueName": "nope"}, "QueueDoesNotExist", None),
    ],
)
def test_json_errors_carry_aws_shape_names(
    sqs_server: Any,
    sqs_client: Any,
    operation: str,
    params: dict[str, Any],
    json_type: str,
    query_code: str | None,
) -> None:
    url = sqs_client.create_queue(QueueName="e")["QueueUrl"]
    if operation != "GetQueueUrl":
        params = {"QueueUrl": url, **params}
    status, headers, body = _json_call(sqs_server.endpoint_url, operation, params)
    assert status == 400
    assert body["__type"] == f"com.amazonaws.sqs#{json_type}"
    code = query_code or "AWS.SimpleQueueService.NonExistentQueue"
    assert headers["x-amzn-query-error"] == f"{code};Sender"


def test_botocore_sees_the_shape_and_the_legacy_code(sqs_client: Any) -> None:
    url = sqs_client.create_queue(QueueName="e")["QueueUrl"]
    with pytest.raises(ClientError) as info:
        sqs_client.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    error = info.value.response["Error"]
    assert error["Code"] == "InvalidParameterValue"
    assert error["QueryErrorCode"] == "InvalidParameterValueException"
    assert error["Message"] == (
        "Value 11 for parameter MaxNumberOfMessages is invalid. "
        "Reason: Must be between 1 and 10, if provided."
    )


@pytest.mark.parametrize("operation", ["send_message_batch", "delete_message_batch"])
def test_an_empty_batch_is_empty_batch_request(client: Any, operation: str) -> None:
    url = client.create_queue(QueueName="e")["QueueUrl"]
    with pytest.raises(ClientError) as info:
        getattr(client, operation)(QueueUrl=url, Entries=[])
    assert info.value.response["Error"]["Code"] == "AWS.SimpleQueueService.EmptyBatchRequest"


def test_cancel_with_a_malformed_task_handle_is_invalid_parameter_value(client: Any) -> None:
    with pytest.raises(ClientError) as info:
        client.cancel_message_move_task(TaskHandle="not-a-handle")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert info.value.response["Error"]["Code"] == "InvalidParameterValue"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Accept": "application/json"}, {"Content-Type": "application/x-amz-json-1.0"}],
)
def test_a_get_without_action_is_unknown_operation(
    sqs_server: Any, headers: dict[str, str]
) -> None:
    status, reply_headers, body = _raw(f"{sqs_server.endpoint_url}/", b"", headers, "GET")
    assert status == 404
    assert reply_headers["Content-Type"].startswith("text/xml")
    code = ET.fromstring(body).find("q:Error/q:Code", NS)
    assert code is not None and code.text == "UnknownOperationException"


@pytest.mark.parametrize("action", ["CreateQueue", "ListQueues"])
def test_service_operations_sent_to_a_queue_url_are_invalid_action(
    sqs_server: Any, sqs_client: Any, action: str
) -> None:
    url = sqs_client.create_queue(QueueName="e")["QueueUrl"]
    form = f"Action={action}&Version=2012-11-05&QueueName=other".encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, body = _raw(url, form, headers)
    assert status == 400
    code = ET.fromstring(body).find("q:Error/q:Code", NS)
    assert code is not None and code.text == "InvalidAction"


def test_add_permission_writes_the_policy_aws_writes(client: Any) -> None:
    url = client.create_queue(QueueName="shared")["QueueUrl"]
    client.add_permission(
        QueueUrl=url, Label="one", AWSAccountIds=["111122223333"], Actions=["SendMessage"]
    )
    client.add_permission(
        QueueUrl=url,
        Label="two",
        AWSAccountIds=["111122223333", "444455556666"],
        Actions=["SendMessage", "ReceiveMessage"],
    )
    text = client.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
    policy = json.loads(text["Policy"])
    assert policy["Version"] == "2008-10-17"
    one, two = policy["Statement"]
    assert one["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert one["Action"] == "SQS:SendMessage"
    assert two["Principal"]["AWS"] == [
        "arn:aws:iam::111122223333:root",
        "arn:aws:iam::444455556666:root",
    ]
    assert two["Action"] == ["SQS:SendMessage", "SQS:ReceiveMessage"]


def test_message_errors_use_aws_wording(client: Any) -> None:
    attrs = {"MaximumMessageSize": "1024"}
    url = client.create_queue(QueueName="small", Attributes=attrs)["QueueUrl"]
    with pytest.raises(ClientError) as info:
        client.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert info.value.response["Error"]["Message"] == (
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."
    )
    with pytest.raises(ClientError) as info:
        client.send_message(QueueUrl=url, MessageBody="bad \x01")
    assert info.value.response["Error"]["Message"] == (
        "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | "
        "#x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"
    )
