"""The query protocol's pure parts, checked against botocore's own query serializer and parser."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from spotq.sqs.errors import SqsError, sqs_error
from spotq.sqs.protocol_query import (
    NAMESPACE,
    parse_query_request,
    query_model_dict,
    render_query_error,
    render_query_response,
)

URL = "http://127.0.0.1:9324/000000000000/jobs"
ARN = "arn:aws:sqs:us-east-1:000000000000:jobs"
ATTRS = {
    "s": {"DataType": "String", "StringValue": "v <&> \r\n ✓"},
    "n": {"DataType": "Number.int", "StringValue": "42"},
    "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff\x10"},
}
ENTRY = {
    "Id": "e1",
    "MessageBody": "body",
    "DelaySeconds": 5,
    "MessageAttributes": ATTRS,
    "MessageSystemAttributes": {"AWSTraceHeader": {"DataType": "String", "StringValue": "t=1"}},
    "MessageDeduplicationId": "d",
    "MessageGroupId": "g",
}

# Every operation with every input member the model has, the way a client would send it.
REQUESTS: dict[str, dict[str, Any]] = {
    "AddPermission": {
        "QueueUrl": URL,
        "Label": "l",
        "AWSAccountIds": ["111111111111", "222222222222"],
        "Actions": ["SendMessage", "ReceiveMessage"],
    },
    "CancelMessageMoveTask": {"TaskHandle": "h"},
    "ChangeMessageVisibility": {"QueueUrl": URL, "ReceiptHandle": "r", "VisibilityTimeout": 0},
    "ChangeMessageVisibilityBatch": {
        "QueueUrl": URL,
        "Entries": [
            {"Id": "a", "ReceiptHandle": "r", "VisibilityTimeout": 60},
            {"Id": "b", "ReceiptHandle": "s"},
        ],
    },
    "CreateQueue": {
        "QueueName": "jobs.fifo",
        "Attributes": {"FifoQueue": "true", "VisibilityTimeout": "40"},
        "tags": {"team": "ml", "env": ""},
    },
    "DeleteMessage": {"QueueUrl": URL, "ReceiptHandle": "r"},
    "DeleteMessageBatch": {"QueueUrl": URL, "Entries": [{"Id": "a", "ReceiptHandle": "r"}]},
    "DeleteQueue": {"QueueUrl": URL},
    "GetQueueAttributes": {"QueueUrl": URL, "AttributeNames": ["All", "QueueArn"]},
    "GetQueueUrl": {"QueueName": "jobs", "QueueOwnerAWSAccountId": "000000000000"},
    "ListDeadLetterSourceQueues": {"QueueUrl": URL, "NextToken": "t", "MaxResults": 10},
    "ListMessageMoveTasks": {"SourceArn": ARN, "MaxResults": 5},
    "ListQueueTags": {"QueueUrl": URL},
    "ListQueues": {"QueueNamePrefix": "j", "NextToken": "t", "MaxResults": 1000},
    "PurgeQueue": {"QueueUrl": URL},
    "ReceiveMessage": {
        "QueueUrl": URL,
        "AttributeNames": ["All"],
        "MessageSystemAttributeNames": ["SenderId", "SentTimestamp"],
        "MessageAttributeNames": ["All", "bar.*"],
        "MaxNumberOfMessages": 10,
        "VisibilityTimeout": 30,
        "WaitTimeSeconds": 20,
        "ReceiveRequestAttemptId": "attempt",
    },
    "RemovePermission": {"QueueUrl": URL, "Label": "l"},
    "SendMessage": {"QueueUrl": URL, **{k: v for k, v in ENTRY.items() if k != "Id"}},
    "SendMessageBatch": {"QueueUrl": URL, "Entries": [ENTRY, {"Id": "e2", "MessageBody": "x"}]},
    "SetQueueAttributes": {"QueueUrl": URL, "Attributes": {"DelaySeconds": "0", "Policy": "{}"}},
    "StartMessageMoveTask": {
        "SourceArn": ARN,
        "DestinationArn": ARN + "2",
        "MaxNumberOfMessagesPerSecond": 50,
    },
    "TagQueue": {"QueueUrl": URL, "Tags": {"a": "1", "b": "2"}},
    "UntagQueue": {"QueueUrl": URL, "TagKeys": ["a", "b"]},
}
MESSAGE = {
    "MessageId": "m-1",
    "ReceiptHandle": "rh",
    "MD5OfBody": "0" * 32,
    "Body": "<b>&amp;</b>\r\n",
    "Attributes": {"SentTimestamp": "1700000000000", "ApproximateReceiveCount": "1"},
    "MD5OfMessageAttributes": "1" * 32,
    "MessageAttributes": ATTRS,
}
FAILED = [{"Id": "x", "SenderFault": True, "Code": "ReceiptHandleIsInvalid", "Message": "bad"}]
RESULTS: dict[str, dict[str, Any]] = {
    "CancelMessageMoveTask": {"ApproximateNumberOfMessagesMoved": 7},
    "ChangeMessageVisibilityBatch": {"Successful": [{"Id": "a"}], "Failed": FAILED},
    "CreateQueue": {"QueueUrl": URL},
    "DeleteMessageBatch": {"Successful": [{"Id": "a"}, {"Id": "b"}], "Failed": []},
    "GetQueueAttributes": {"Attributes": {"QueueArn": ARN, "DelaySeconds": "0"}},
    "GetQueueUrl": {"QueueUrl": URL},
    "ListDeadLetterSourceQueues": {"queueUrls": [URL, URL + "2"], "NextToken": "n"},
    "ListMessageMoveTasks": {
        "Results": [
            {
                "TaskHandle": "h",
                "Status": "RUNNING",
                "SourceArn": ARN,
                "DestinationArn": ARN,
                "MaxNumberOfMessagesPerSecond": 10,
                "ApproximateNumberOfMessagesMoved": 3,
                "ApproximateNumberOfMessagesToMove": 9,
                "StartedTimestamp": 1700000000000,
            },
            {"TaskHandle": "g", "Status": "FAILED", "FailureReason": "gone"},
        ]
    },
    "ListQueueTags": {"Tags": {"team": "ml"}},
    "ListQueues": {"QueueUrls": [URL], "NextToken": "n"},
    "ReceiveMessage": {"Messages": [MESSAGE, {**MESSAGE, "MessageId": "m-2"}]},
    "SendMessage": {
        "MD5OfMessageBody": "0" * 32,
        "MD5OfMessageAttributes": "1" * 32,
        "MD5OfMessageSystemAttributes": "2" * 32,
        "MessageId": "m-1",
        "SequenceNumber": "18849496460467696128",
    },
    "SendMessageBatch": {
        "Successful": [{"Id": "e1", "MessageId": "m", "MD5OfMessageBody": "0" * 32}],
        "Failed": FAILED,
    },
    "StartMessageMoveTask": {"TaskHandle": "h"},
}


def _model() -> ServiceModel:
    return ServiceModel(query_model_dict(), service_name="sqs")


def _form(body: dict[str, Any]) -> dict[str, list[str]]:
    return parse_qs(urlencode(body), keep_blank_values=True)


def _parse_xml(operation: str, xml: bytes, status: int = 200) -> dict[str, Any]:
    shape = _model().operation_model(operation).output_shape
    response = {"body": xml, "headers": {}, "status_code": status}
    parsed: dict[str, Any] = create_parser("query").parse(response, shape)
    return parsed


def test_model_knows_all_23_operations() -> None:
    assert sorted(REQUESTS) == sorted(_model().operation_names)
    assert len(REQUESTS) == 23


@pytest.mark.parametrize("operation", sorted(REQUESTS))
def test_botocore_query_requests_parse_back_to_json_params(operation: str) -> None:
    request = create_serializer("query").serialize_to_request(
        REQUESTS[operation], _model().operation_model(operation)
    )
    assert request["body"]["Action"] == operation
    parsed_operation, params = parse_query_request(_form(request["body"]), "/")
    assert parsed_operation == operation
    assert params == REQUESTS[operation]


@pytest.mark.parametrize("operation", sorted(RESULTS))
def test_rendered_results_parse_back_with_botocore(operation: str) -> None:
    parsed = _parse_xml(operation, render_query_response(operation, RESULTS[operation], "rid-1"))
    assert parsed.pop("ResponseMetadata")["RequestId"] == "rid-1"
    # An empty flattened list has no element at all in XML, so it reads back as absent.
    assert parsed == {k: v for k, v in RESULTS[operation].items() if v != []}


@pytest.mark.parametrize("operation", sorted(set(REQUESTS) - set(RESULTS)))
def test_operations_without_output_render_only_metadata(operation: str) -> None:
    root = ET.fromstring(render_query_response(operation, {}, "rid-2"))
    assert root.tag == f"{{{NAMESPACE}}}{operation}Response"
    assert [child.tag.split("}")[1] for child in root] == ["ResponseMetadata"]


def test_reply_is_in_the_sqs_namespace_with_result_wrapper() -> None:
    root = ET.fromstring(render_query_response("CreateQueue", {"QueueUrl": URL}, "rid"))
    ns = {"q": NAMESPACE}
    assert root.tag == f"{{{NAMESPACE}}}CreateQueueResponse"
    assert root.findtext("q:CreateQueueResult/q:QueueUrl", namespaces=ns) == URL
    assert root.findtext("q:ResponseMetadata/q:RequestId", namespaces=ns) == "rid"


def test_aws_documented_wire_names_parse() -> None:
    # Parameter spellings from AWS's query API reference examples.
    form = {
        "Action": ["SendMessageBatch"],
        "Version": ["2012-11-05"],
        "SendMessageBatchRequestEntry.1.Id": ["test_msg_001"],
        "SendMessageBatchRequestEntry.1.MessageBody": ["test message body 1"],
        "SendMessageBatchRequestEntry.2.Id": ["test_msg_002"],
        "SendMessageBatchRequestEntry.2.MessageBody": ["test message body 2"],
        "SendMessageBatchRequestEntry.2.DelaySeconds": ["60"],
        "SendMessageBatchRequestEntry.2.MessageAttribute.1.Name": ["test_attribute_name_1"],
        "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue": ["value_1"],
        "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType": ["String"],
    }
    operation, params = parse_query_request(form, "/123456789012/MyQueue")
    assert operation == "SendMessageBatch"
    assert params["QueueUrl"] == "/123456789012/MyQueue"  # taken from the path
    assert params["Entries"][1] == {
        "Id": "test_msg_002",
        "MessageBody": "test message body 2",
        "DelaySeconds": 60,
        "MessageAttributes": {
            "test_attribute_name_1": {"StringValue": "value_1", "DataType": "String"}
        },
    }


def test_create_queue_attribute_and_tag_names() -> None:
    form = {
        "Action": ["CreateQueue"],
        "QueueName": ["q"],
        "Attribute.1.Name": ["VisibilityTimeout"],
        "Attribute.1.Value": ["40"],
        "Attribute.2.Name": ["DelaySeconds"],
        "Attribute.2.Value": ["1"],
        "Tag.1.Key": ["k"],
        "Tag.1.Value": ["v"],
    }
    assert parse_query_request(form, "/") == (
        "CreateQueue",
        {
            "QueueName": "q",
            "Attributes": {"VisibilityTimeout": "40", "DelaySeconds": "1"},
            "tags": {"k": "v"},
        },
    )


def test_list_indices_are_ordered_numerically() -> None:
    form = {"Action": ["UntagQueue"], "QueueUrl": [URL]}
    form.update({f"TagKey.{i}": [f"k{i}"] for i in (10, 2, 1)})
    assert parse_query_request(form, "/")[1]["TagKeys"] == ["k1", "k2", "k10"]


def test_queue_url_in_form_wins_over_path_and_short_paths_are_ignored() -> None:
    form = {"Action": ["PurgeQueue"], "QueueUrl": [URL]}
    assert parse_query_request(form, "/1/other")[1] == {"QueueUrl": URL}
    assert parse_query_request({"Action": ["PurgeQueue"]}, "/")[1] == {}


def _error(form: dict[str, list[str]]) -> SqsError:
    with pytest.raises(SqsError) as exc:
        parse_query_request(form, "/")
    assert 400 <= exc.value.status < 500
    return exc.value


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({}, "UnknownOperationException"),
        ({"Action": [""]}, "UnknownOperationException"),
        ({"Action": ["DescribeQueues"]}, "InvalidAction"),
        ({"Action": ["sendmessage"]}, "InvalidAction"),
        ({"Action": ["ReceiveMessage"], "WaitTimeSeconds": ["ten"]}, "InvalidParameterValue"),
        ({"Action": ["ReceiveMessage"], "WaitTimeSeconds": ["1e3"]}, "InvalidParameterValue"),
        ({"Action": ["ReceiveMessage"], "WaitTimeSeconds": [" 1"]}, "InvalidParameterValue"),
        (
            {"Action": ["ReceiveMessage"], "WaitTimeSeconds": ["9" * 40]},
            "InvalidParameterValue",
        ),
        (
            {
                "Action": ["SendMessage"],
                "MessageAttribute.1.Name": ["b"],
                "MessageAttribute.1.Value.DataType": ["Binary"],
                "MessageAttribute.1.Value.BinaryValue": ["not base64!"],
            },
            "InvalidParameterValue",
        ),
        (
            {
                "Action": ["ChangeMessageVisibilityBatch"],
                "ChangeMessageVisibilityBatchRequestEntry.x.Id": ["a"],
            },
            "MalformedQueryString",
        ),
        ({"Action": ["GetQueueAttributes"], "AttributeName.0": ["All"]}, "MalformedQueryString"),
        ({"Action": ["CreateQueue"], "Attribute.1.Value": ["1"]}, "MissingParameter"),
        ({"Action": ["CreateQueue"], "Attribute.1.Name": ["DelaySeconds"]}, "MissingParameter"),
    ],
)
def test_malformed_requests_raise_aws_shaped_errors(form: dict[str, list[str]], code: str) -> None:
    assert _error(form).code == code


def test_error_messages_name_the_parameter() -> None:
    error = _error(
        {"Action": ["SendMessageBatch"], "SendMessageBatchRequestEntry.1.DelaySeconds": ["x"]}
    )
    assert "SendMessageBatchRequestEntry.1.DelaySeconds" in error.message
    error = _error({"Action": ["CreateQueue"], "Tag.3.Value": ["v"]})
    assert "Tag.3.Key" in error.message


def test_booleans_and_blank_lists() -> None:
    form = {"Action": ["GetQueueAttributes"], "QueueUrl": [URL], "AttributeName": [""]}
    assert parse_query_request(form, "/")[1] == {"QueueUrl": URL, "AttributeNames": []}


def test_error_xml_parses_with_botocore_and_escapes_text() -> None:
    error = sqs_error("QueueDoesNotExist", "The queue <q&1> does not exist.\x00")
    xml = render_query_error(error, "rid-9")
    root = ET.fromstring(xml)
    assert root.tag == f"{{{NAMESPACE}}}ErrorResponse"
    parsed = _parse_xml("GetQueueUrl", xml, status=400)
    assert parsed["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert parsed["Error"]["Type"] == "Sender"
    assert parsed["Error"]["Message"] == "The queue <q&1> does not exist.\ufffd"
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-9"


def test_receiver_fault_errors_say_receiver() -> None:
    xml = render_query_error(sqs_error("InternalFailure", "boom"), "r")
    assert b"<Type>Receiver</Type>" in xml
