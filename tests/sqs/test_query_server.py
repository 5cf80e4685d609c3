"""The legacy query protocol against a real server: a botocore client that speaks it, and raw
form/GET requests the way older SDKs send them."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from spotq.sqs.protocol_query import API_VERSION, NAMESPACE, query_model_dict

NS = {"q": NAMESPACE}
ATTRS = {
    "s": {"DataType": "String", "StringValue": "häppy <xml> & \r\n"},
    "n": {"DataType": "Number", "StringValue": "12.5"},
    "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe"},
}


def _client(endpoint_url: str, data_dir: Path | None = None) -> Any:
    session = botocore.session.get_session()
    if data_dir is not None:
        # A botocore data directory whose SQS model speaks the query protocol.
        model_dir = data_dir / "sqs" / API_VERSION
        model_dir.mkdir(parents=True, exist_ok=True)
        (model_dir / "service-2.json").write_text(json.dumps(query_model_dict()))
        session.get_component("data_loader").search_paths.insert(0, str(data_dir))
    return session.create_client(
        "sqs",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def query_client(sqs_server: Any, tmp_path: Path) -> Any:
    client = _client(sqs_server.endpoint_url, tmp_path / "botocore-data")
    assert client.meta.service_model.protocol == "query"
    return client


@pytest.fixture
def json_client(sqs_server: Any) -> Any:
    return _client(sqs_server.endpoint_url)


def _scenario(sqs: Any, prefix: str) -> dict[str, Any]:
    """Every one of the 23 operations once; returns what a caller would look at."""
    seen: dict[str, Any] = {}
    dlq = sqs.create_queue(QueueName=f"{prefix}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    url = sqs.create_queue(
        QueueName=f"{prefix}-src",
        Attributes={"VisibilityTimeout": "40", "RedrivePolicy": redrive},
        tags={"team": "ml"},
    )["QueueUrl"]
    seen["url"] = url.rsplit("/", 2)[-2:]
    seen["get_url"] = sqs.get_queue_url(QueueName=f"{prefix}-src")["QueueUrl"] == url
    seen["listed"] = sorted(sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []))
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0"})
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    seen["attrs"] = {k: attrs[k] for k in ("VisibilityTimeout", "DelaySeconds", "RedrivePolicy")}
    sqs.tag_queue(QueueUrl=url, Tags={"env": "test", "x": "y"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["x"])
    seen["tags"] = sqs.list_queue_tags(QueueUrl=url)["Tags"]
    sqs.add_permission(
        QueueUrl=url, Label="p", AWSAccountIds=["111111111111"], Actions=["SendMessage"]
    )
    sqs.remove_permission(QueueUrl=url, Label="p")
    one = sqs.send_message(QueueUrl=url, MessageBody="one", MessageAttributes=ATTRS)
    seen["md5"] = (one["MD5OfMessageBody"], one["MD5OfMessageAttributes"])
    batch = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "a", "MessageBody": "two"}, {"Id": "b", "MessageBody": "three"}],
    )
    seen["batch_ids"] = sorted(entry["Id"] for entry in batch["Successful"])
    got = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
        WaitTimeSeconds=1,
    )["Messages"]
    seen["bodies"] = sorted(m["Body"] for m in got)
    first = next(m for m in got if m["Body"] == "one")
    seen["received_attrs"] = first["MessageAttributes"]
    seen["receive_count"] = first["Attributes"]["ApproximateReceiveCount"]
    handles = {m["Body"]: m["ReceiptHandle"] for m in got}
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handles["one"], VisibilityTimeout=60)
    changed = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "ReceiptHandle": handles["two"], "VisibilityTimeout": 0},
            {"Id": "bad", "ReceiptHandle": "not-a-handle", "VisibilityTimeout": 0},
        ],
    )
    seen["change_failed"] = [(f["Id"], f["SenderFault"]) for f in changed["Failed"]]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handles["one"])
    deleted = sqs.delete_message_batch(
        QueueUrl=url, Entries=[{"Id": "t", "ReceiptHandle": handles["three"]}]
    )
    seen["deleted"] = [entry["Id"] for entry in deleted["Successful"]]
    seen["sources"] = sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [url]
    # "two" is visible again (timeout 0) and has been received once: the next receive moves it
    # past maxReceiveCount=1 into the DLQ, from where a move task takes it back.
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    seen["in_dlq"] = [
        m["Body"]
        for m in sqs.receive_message(QueueUrl=dlq, VisibilityTimeout=0).get("Messages", [])
    ]
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    seen["task_sources"] = {task["SourceArn"] for task in tasks} == {dlq_arn}
    try:
        sqs.cancel_message_move_task(TaskHandle=handle)
        seen["cancel_answered"] = True
    except ClientError as exc:  # the task may already have finished moving its one message
        seen["cancel_answered"] = exc.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    sqs.purge_queue(QueueUrl=url)
    for queue_url in (url, dlq):
        sqs.delete_queue(QueueUrl=queue_url)
    seen["listed_after"] = sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
    return seen


def test_every_operation_gives_the_same_results_over_query_and_json(
    query_client: Any, json_client: Any
) -> None:
    over_query = _scenario(query_client, "qp")
    over_json = _scenario(json_client, "jp")
    for key in ("url", "listed"):
        over_query.pop(key), over_json.pop(key)
    over_json["attrs"]["RedrivePolicy"] = over_query["attrs"]["RedrivePolicy"]  # names differ
    assert over_query == over_json
    assert over_query["md5"][0] == hashlib.md5(b"one").hexdigest()
    assert over_query["received_attrs"] == ATTRS
    assert over_query["bodies"] == ["one", "three", "two"]
    assert over_query["in_dlq"] == ["two"]
    assert over_query["change_failed"] == [("bad", True)]
    assert over_query["listed_after"] == []


def test_modelled_errors_over_query(query_client: Any) -> None:
    with pytest.raises(query_client.exceptions.QueueDoesNotExist) as exc:
        query_client.get_queue_url(QueueName="missing")
    error = exc.value.response
    assert error["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as bad:
        query_client.create_queue(QueueName="q", Attributes={"DelaySeconds": "901"})
    assert bad.value.response["Error"]["Code"] == "InvalidAttributeValue"


def _http(
    endpoint_url: str, path: str, form: dict[str, str], *, method: str = "POST"
) -> tuple[int, str, ET.Element]:
    data = urlencode(form)
    if method == "GET":
        request = urllib.request.Request(f"{endpoint_url}{path}?{data}", method="GET")
    else:
        request = urllib.request.Request(
            f"{endpoint_url}{path}",
            data=data.encode(),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            status, ctype, body = reply.status, reply.headers["Content-Type"], reply.read()
    except urllib.error.HTTPError as exc:
        status, ctype, body = exc.code, exc.headers["Content-Type"], exc.read()
    return status, ctype, ET.fromstring(body)


def test_raw_form_post_and_get_to_the_queue_url(sqs_server: Any) -> None:
    endpoint = sqs_server.endpoint_url
    status, ctype, root = _http(
        endpoint, "/", {"Action": "CreateQueue", "Version": API_VERSION, "QueueName": "raw"}
    )
    assert status == 200 and "xml" in ctype
    assert root.tag == f"{{{NAMESPACE}}}CreateQueueResponse"
    url = root.findtext("q:CreateQueueResult/q:QueueUrl", namespaces=NS)
    assert url is not None
    path = urlsplit(url).path

    form = {
        "Action": "SendMessage",
        "MessageBody": "raw body",
        "MessageAttribute.1.Name": "k",
        "MessageAttribute.1.Value.DataType": "String",
        "MessageAttribute.1.Value.StringValue": "v",
    }
    status, _, root = _http(endpoint, path, form)  # QueueUrl comes from the path
    assert status == 200
    assert root.findtext("q:SendMessageResult/q:MD5OfMessageBody", namespaces=NS) == (
        hashlib.md5(b"raw body").hexdigest()
    )
    assert root.findtext("q:ResponseMetadata/q:RequestId", namespaces=NS)

    get = {"Action": "ReceiveMessage", "MessageAttributeName.1": "All", "AttributeName.1": "All"}
    status, _, root = _http(endpoint, path, get, method="GET")
    assert status == 200
    message = root.find("q:ReceiveMessageResult/q:Message", NS)
    assert message is not None
    assert message.findtext("q:Body", namespaces=NS) == "raw body"
    attribute = message.find("q:MessageAttribute", NS)
    assert attribute is not None and attribute.findtext("q:Name", namespaces=NS) == "k"
    assert attribute.findtext("q:Value/q:StringValue", namespaces=NS) == "v"
    system = {a.findtext("q:Name", namespaces=NS) for a in message.findall("q:Attribute", NS)}
    assert {"SentTimestamp", "ApproximateReceiveCount"} <= system

    status, _, root = _http(
        endpoint, "/", {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "All"}
    )
    names = [a.findtext("q:Name", namespaces=NS) for a in root.iter(f"{{{NAMESPACE}}}Attribute")]
    assert "QueueArn" in names and "ApproximateNumberOfMessagesNotVisible" in names


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"Action": "NoSuchThing"}, "InvalidAction"),
        ({"Version": API_VERSION}, "UnknownOperationException"),
        ({"Action": "GetQueueUrl"}, "MissingParameter"),
        ({"Action": "GetQueueUrl", "QueueName": "nope"}, "AWS.SimpleQueueService.NonExistentQueue"),
        ({"Action": "ListQueues", "MaxResults": "many"}, "InvalidParameterValue"),
        ({"Action": "ListQueues", "MaxResults": "1001"}, "InvalidParameterValue"),
        ({"Action": "TagQueue", "Tag.1.Key": "k"}, "MissingParameter"),
    ],
)
def test_raw_errors_are_query_shaped(sqs_server: Any, form: dict[str, str], code: str) -> None:
    status, ctype, root = _http(sqs_server.endpoint_url, "/", form)
    assert 400 <= status < 500
    assert "xml" in ctype
    assert root.tag == f"{{{NAMESPACE}}}ErrorResponse"
    assert root.findtext("q:Error/q:Type", namespaces=NS) == "Sender"
    assert root.findtext("q:Error/q:Code", namespaces=NS) == code
    assert root.findtext("q:Error/q:Message", namespaces=NS)
    assert root.findtext("q:RequestId", namespaces=NS)


def test_query_long_poll_is_woken_by_a_json_send(query_client: Any, json_client: Any) -> None:
    url = json_client.create_queue(QueueName="q-wake")["QueueUrl"]
    got: dict[str, Any] = {}

    def wait() -> None:
        got["reply"] = query_client.receive_message(QueueUrl=url, WaitTimeSeconds=10)
        got["at"] = time.monotonic()

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.3)
    sent_at = time.monotonic()
    json_client.send_message(QueueUrl=url, MessageBody="wake")
    thread.join(timeout=15)
    assert [m["Body"] for m in got["reply"]["Messages"]] == ["wake"]
    assert got["at"] - sent_at < 5  # woken by the send, far before the 10 s wait ends


def test_fifo_over_query(query_client: Any) -> None:
    url = query_client.create_queue(QueueName="q-order.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    sent = [
        query_client.send_message(
            QueueUrl=url, MessageBody=body, MessageGroupId="g", MessageDeduplicationId=dedup
        )
        for body, dedup in (("first", "d1"), ("second", "d2"), ("again", "d1"))
    ]
    assert sent[2]["MessageId"] == sent[0]["MessageId"]  # a duplicate inside the window
    assert int(sent[1]["SequenceNumber"]) > int(sent[0]["SequenceNumber"])
    got = query_client.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    assert [m["Body"] for m in got] == ["first", "second"]
    assert got[0]["Attributes"]["MessageGroupId"] == "g"
    assert got[0]["Attributes"]["MessageDeduplicationId"] == "d1"
    with pytest.raises(ClientError) as exc:
        query_client.send_message(QueueUrl=url, MessageBody="no group")
    assert exc.value.response["Error"]["Code"] == "MissingParameter"
