"""One server serves every region: ARNs in replies carry the region the client signed for, and
an ARN written for any region names the same queue."""

from __future__ import annotations

import json
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from spotq.sqs.protocol_query import NAMESPACE


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_arns_carry_the_clients_region(client_in: Callable[[str, str], Any], protocol: str) -> None:
    eu, us = client_in(protocol, "eu-west-1"), client_in(protocol, "us-east-1")
    dlq_url = eu.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = eu.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    assert dlq_arn == "arn:aws:sqs:eu-west-1:000000000000:dlq"
    us_arn = us.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    assert us_arn["Attributes"]["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:dlq"
    # The eu-west-1 ARN works as a dead-letter target, and redrive follows it.
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    src = eu.create_queue(QueueName="src", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    assert eu.list_dead_letter_source_queues(QueueUrl=dlq_url)["queueUrls"] == [src]
    eu.send_message(QueueUrl=src, MessageBody="x")
    assert len(eu.receive_message(QueueUrl=src, VisibilityTimeout=0)["Messages"]) == 1
    assert "Messages" not in eu.receive_message(QueueUrl=src)
    assert [m["Body"] for m in eu.receive_message(QueueUrl=dlq_url)["Messages"]] == ["x"]


def test_a_presigned_request_gets_its_credentials_region(sqs_server: Any, sqs_client: Any) -> None:
    sqs_client.create_queue(QueueName="pre")
    query = "Action=GetQueueAttributes&Version=2012-11-05&AttributeName.1=QueueArn"
    request = AWSRequest(method="GET", url=f"{sqs_server.endpoint_url}/000000000000/pre?{query}")
    SigV4QueryAuth(Credentials("k", "s"), "sqs", "ap-south-1", expires=60).add_auth(request)
    with urllib.request.urlopen(request.url, timeout=30) as reply:
        root = ET.fromstring(reply.read())
    arns = [e.text for e in root.iter(f"{{{NAMESPACE}}}Value")]
    assert arns == ["arn:aws:sqs:ap-south-1:000000000000:pre"]
