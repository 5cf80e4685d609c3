"""spotq.queues against the real SQS server."""

from __future__ import annotations

import json

from spotq.app import AppOptions
from spotq.queues import ensure_queues, is_local_endpoint, make_sqs_client
from spotq.sqs.server import RunningSqsServer
from spotq.stack import StackConfig


def test_ensure_queues_creates_redrive_and_is_idempotent(sqs_server: RunningSqsServer) -> None:
    stack = StackConfig(app="demo", sqs_endpoint_url=sqs_server.endpoint_url)
    sqs = make_sqs_client(stack)
    urls = ensure_queues(sqs, stack, AppOptions(visibility_timeout_s=45, max_receives=4))
    assert urls.normal.endswith("/spotq-demo") and urls.high.endswith("/spotq-demo-high")
    assert urls.dlq.endswith("/spotq-demo-dlq") and urls.dlq_arn.endswith(":spotq-demo-dlq")
    for url in (urls.normal, urls.high):
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["VisibilityTimeout"] == "45"
        assert json.loads(attrs["RedrivePolicy"]) == {
            "deadLetterTargetArn": urls.dlq_arn,
            "maxReceiveCount": 4,
        }
    assert ensure_queues(sqs, stack, AppOptions(visibility_timeout_s=45, max_receives=4)) == urls
    # a changed app brings the existing queues up to date instead of failing
    again = ensure_queues(sqs, stack, AppOptions(visibility_timeout_s=90, max_receives=2))
    attrs = sqs.get_queue_attributes(QueueUrl=again.normal, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "90"
    assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == 2


def test_local_endpoint_detection() -> None:
    assert is_local_endpoint("http://127.0.0.1:9324") and is_local_endpoint("http://localhost:1")
    assert not is_local_endpoint(None)
    assert not is_local_endpoint("https://sqs.us-east-1.amazonaws.com")
