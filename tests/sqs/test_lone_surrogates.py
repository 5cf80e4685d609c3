"""A JSON string may carry a lone UTF-16 surrogate (`\\ud800`), which no SQS field accepts and
UTF-8 cannot encode: every such request gets an AWS-shaped 4xx (or a per-entry batch failure),
never a 500."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from spotq.sqs.server import RunningSqsServer

BAD = "x\\ud800"  # as it appears inside a JSON document


def _call(server: RunningSqsServer, op: str, body: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        server.endpoint_url + "/",
        data=body.encode("ascii"),
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"AmazonSQS.{op}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    ("op", "template", "expected"),
    [
        ("SendMessage", '{"QueueUrl":"%s","MessageBody":"%s"}', "InvalidMessageContents"),
        (
            "SendMessage",
            '{"QueueUrl":"%s","MessageBody":"ok","MessageAttributes":'
            '{"a":{"DataType":"String","StringValue":"%s"}}}',
            "InvalidParameterValueException",  # in an attribute value (as SQS answers)
        ),
        (
            "SendMessage",
            '{"QueueUrl":"%s","MessageBody":"ok","MessageSystemAttributes":'
            '{"AWSTraceHeader":{"DataType":"String","StringValue":"%s"}}}',
            "InvalidMessageContents",
        ),
        (
            "SendMessageBatch",
            '{"QueueUrl":"%s","Entries":[{"Id":"a","MessageBody":"%s"}]}',
            "batch:InvalidMessageContents",
        ),
        (
            "SendMessageBatch",
            '{"QueueUrl":"%s","Entries":[{"Id":"a","MessageBody":"%s","DelaySeconds":1}]}',
            "batch:InvalidMessageContents",
        ),
        (
            "SendMessageBatch",
            '{"QueueUrl":"%s","Entries":[{"Id":"a","MessageBody":"ok","MessageAttributes":'
            '{"a":{"DataType":"String","StringValue":"%s"}}}]}',
            "batch:InvalidParameterValue",
        ),
        ("DeleteMessage", '{"QueueUrl":"%s","ReceiptHandle":"%s"}', "ReceiptHandleIsInvalid"),
    ],
)
def test_lone_surrogates_are_refused_not_crashed(
    sqs_server: RunningSqsServer, op: str, template: str, expected: str
) -> None:
    status, created = _call(sqs_server, "CreateQueue", '{"QueueName":"surrogates"}')
    assert status == 200
    status, reply = _call(sqs_server, op, template % (created["QueueUrl"], BAD))
    if expected.startswith("batch:"):
        assert status == 200
        assert reply["Successful"] == []
        assert [f["Code"] for f in reply["Failed"]] == [expected.removeprefix("batch:")]  # type: ignore[union-attr]
    else:
        assert status == 400
        assert reply["__type"] == f"com.amazonaws.sqs#{expected}"
