"""Hypothesis fuzz of request bodies and headers (JSON and query protocols, junk, odd content
types, wrong member types, huge lengths): never a 5xx, always a well-formed AWS reply."""

from __future__ import annotations

import base64
import http.client
import json
import re
import socket
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spotq.sqs.protocol_query import NAMESPACE

QUEUE_PATH = "/000000000000/fuzz"
QUEUE_URL = "http://127.0.0.1" + QUEUE_PATH
OPERATIONS = [
    "AddPermission", "CancelMessageMoveTask", "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch", "CreateQueue", "DeleteMessage", "DeleteMessageBatch",
    "DeleteQueue", "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues",
    "ListMessageMoveTasks", "ListQueueTags", "ListQueues", "PurgeQueue", "ReceiveMessage",
    "RemovePermission", "SendMessage", "SendMessageBatch", "SetQueueAttributes",
    "StartMessageMoveTask", "TagQueue", "UntagQueue",
]  # fmt: skip
ATTRS = {"a": {"DataType": "Binary", "BinaryValue": base64.b64encode(b"\x00\x01").decode()}}
# Valid JSON requests to mutate; none may park a receive or delete the fuzz queue.
VALID: dict[str, dict[str, Any]] = {
    "SendMessage": {"QueueUrl": QUEUE_URL, "MessageBody": "hi", "MessageAttributes": ATTRS},
    "SendMessageBatch": {
        "QueueUrl": QUEUE_URL,
        "Entries": [{"Id": "a", "MessageBody": "x", "DelaySeconds": 0}],
    },
    "ReceiveMessage": {"QueueUrl": QUEUE_URL, "MaxNumberOfMessages": 2, "WaitTimeSeconds": 0},
    "DeleteMessageBatch": {"QueueUrl": QUEUE_URL, "Entries": [{"Id": "a", "ReceiptHandle": "r"}]},
    "ChangeMessageVisibilityBatch": {
        "QueueUrl": QUEUE_URL,
        "Entries": [{"Id": "a", "ReceiptHandle": "r", "VisibilityTimeout": 3}],
    },
    "CreateQueue": {"QueueName": "fz", "Attributes": {"DelaySeconds": "0"}, "tags": {"k": "v"}},
    "SetQueueAttributes": {"QueueUrl": QUEUE_URL, "Attributes": {"VisibilityTimeout": "5"}},
    "GetQueueAttributes": {"QueueUrl": QUEUE_URL, "AttributeNames": ["All"]},
    "TagQueue": {"QueueUrl": QUEUE_URL, "Tags": {"k": "v"}},
    "ListQueues": {"QueueNamePrefix": "f", "MaxResults": 5},
    "StartMessageMoveTask": {"SourceArn": "arn:aws:sqs:us-east-1:000000000000:fuzz"},
    "DeleteQueue": {"QueueUrl": "http://127.0.0.1/000000000000/not-the-fuzz-queue"},
}
CONTENT_TYPES = [
    "application/x-amz-json-1.0",
    "application/x-amz-json-1.0; charset=utf-8",
    "application/x-amz-json-1.1",
    "application/json",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "text/plain",
    "text/xml",
    "multipart/form-data; boundary=zz",
    "",
]
QUERY_KEYS = [
    "Action", "Version", "QueueUrl", "QueueName", "MessageBody", "DelaySeconds",
    "WaitTimeSeconds", "MaxNumberOfMessages", "VisibilityTimeout", "ReceiptHandle",
    "Attribute.1.Name", "Attribute.1.Value", "AttributeName.1", "MessageAttribute.1.Name",
    "MessageAttribute.1.Value.DataType", "MessageAttribute.1.Value.StringValue",
    "MessageAttribute.1.Value.BinaryValue", "SendMessageBatchRequestEntry.1.Id",
    "SendMessageBatchRequestEntry.1.MessageBody", "SendMessageBatchRequestEntry.x.Id",
    "Tag.1.Key", "Tag.1.Value", "TagKey.1", "Label", "AWSAccountId.1", "ActionName.1",
    "MaxResults", "MessageSystemAttribute.1.Name",
]  # fmt: skip

printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def mutated_json(draw: st.DrawFn) -> tuple[str, Any]:
    """A valid request with one member replaced, removed or an unknown one added."""
    operation = draw(st.sampled_from(sorted(VALID)))
    params = json.loads(json.dumps(VALID[operation]))
    path = draw(st.sampled_from(_paths(params)))
    parent: Any = params
    for step in path[:-1]:
        parent = parent[step]
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "replace":
        parent[path[-1]] = draw(json_values)
    elif action == "remove":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(st.text(max_size=12))] = draw(json_values)
    if operation == "ReceiveMessage" and isinstance(params, dict):
        params["WaitTimeSeconds"] = 0  # a parked receive would only slow the fuzz down
    return operation, params


@st.composite
def json_requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str], bytes]:
    kind = draw(st.sampled_from(["mutated", "random", "junk"]))
    if kind == "mutated":
        operation, params = draw(mutated_json())
        body = json.dumps(params).encode()
    else:
        operation = draw(st.sampled_from([*OPERATIONS, "NoSuchOp", ""]))
        body = json.dumps(draw(json_values)).encode() if kind == "random" else draw(st.binary())
        if operation == "ReceiveMessage":
            operation = "ListQueues"
    target = draw(st.sampled_from([f"AmazonSQS.{operation}"] * 5 + [f"amazonsqs.{operation}"]))
    ctype = draw(st.sampled_from(CONTENT_TYPES[:4]) | st.sampled_from(CONTENT_TYPES))
    return "POST", "/", {"X-Amz-Target": target, "Content-Type": ctype}, body


@st.composite
def query_requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str], bytes]:
    form = draw(st.dictionaries(st.sampled_from(QUERY_KEYS) | printable, printable, max_size=8))
    form["Action"] = draw(st.sampled_from([*OPERATIONS, "Bogus"]) | printable)
    if form["Action"] == "ReceiveMessage":
        form["WaitTimeSeconds"] = "0"
    encoded = urlencode(form)
    method = draw(st.sampled_from(["POST", "GET"]))
    path = draw(st.sampled_from(["/", QUEUE_PATH, "/000000000000/missing", "/a/b/c", "/%zz"]))
    if method == "GET":
        return "GET", f"{path}?{encoded}", {}, b""
    ctype = draw(st.sampled_from(CONTENT_TYPES[4:6]) | st.sampled_from(CONTENT_TYPES))
    return "POST", path, {"Content-Type": ctype}, encoded.encode()


@st.composite
def odd_requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str], bytes]:
    """Odd methods, paths and headers around a body of anything."""
    method = draw(st.sampled_from(["POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS"]))
    path = draw(
        st.sampled_from(["/", "/?", "/?Action", "/x?Action=ListQueues&&==&"])
        | printable.map(lambda p: "/" + p.replace(" ", "%20"))
    )
    names = st.sampled_from(
        ["X-Amz-Target", "Content-Type", "Content-Encoding", "Authorization", "X-Amz-Date",
         "X-Amz-Content-Sha256", "Expect", "Host", "X-Junk"]
    )  # fmt: skip
    headers = draw(st.dictionaries(names, printable, max_size=5))
    body = draw(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
    return method, path, headers, body


def _exchange(port: int, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
    """Send one raw HTTP/1.1 request (we control every byte) and read the reply."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items() if name != "Host"]
    lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(raw)
        reply = http.client.HTTPResponse(sock, method=method)
        reply.begin()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()


def assert_aws_shaped(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status < 500, (status, body[:300])
    ctype = headers.get("content-type", "")
    if "json" in ctype:
        document = json.loads(body)
        assert isinstance(document, dict)
        if status >= 400:
            assert str(document["__type"]).startswith("com.amazonaws.sqs#"), document
            assert isinstance(document["message"], str)
            assert re.fullmatch(r"[\w.]+;Sender", headers["x-amzn-query-error"])
    elif "xml" in ctype:
        root = ET.fromstring(body)
        if status >= 400:
            assert root.tag == f"{{{NAMESPACE}}}ErrorResponse"
            assert root.findtext(f"{{{NAMESPACE}}}Error/{{{NAMESPACE}}}Code")
            assert root.findtext(f"{{{NAMESPACE}}}Error/{{{NAMESPACE}}}Type") == "Sender"
    else:
        pytest.fail(f"reply {status} has content type {ctype!r}: {body[:200]!r}")
    if status == 200:
        assert headers.get("x-amzn-requestid")


FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def fuzz_port(sqs_server: Any, sqs_client: Any) -> int:
    sqs_client.create_queue(QueueName="fuzz")
    return int(sqs_server.endpoint_url.rsplit(":", 1)[1])


def _still_serving(sqs_client: Any) -> None:
    url = sqs_client.get_queue_url(QueueName="fuzz")["QueueUrl"]
    sqs_client.send_message(QueueUrl=url, MessageBody="after the fuzz")


@FUZZ
@given(request=json_requests())
def test_fuzz_json_protocol(fuzz_port: int, sqs_client: Any, request: Any) -> None:
    assert_aws_shaped(*_exchange(fuzz_port, *request))


@FUZZ
@given(request=query_requests())
def test_fuzz_query_protocol(fuzz_port: int, sqs_client: Any, request: Any) -> None:
    assert_aws_shaped(*_exchange(fuzz_port, *request))


@FUZZ
@given(request=odd_requests())
def test_fuzz_methods_paths_headers(fuzz_port: int, sqs_client: Any, request: Any) -> None:
    status, headers, body = _exchange(fuzz_port, *request)
    if request[0] != "HEAD":
        assert_aws_shaped(status, headers, body)


def test_server_survives_the_fuzz_and_oversized_bodies(fuzz_port: int, sqs_client: Any) -> None:
    big = json.dumps({"QueueUrl": QUEUE_URL, "MessageBody": "x" * (2 * 1_048_576)}).encode()
    headers = {"X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": CONTENT_TYPES[0]}
    status, reply_headers, body = _exchange(fuzz_port, "POST", "/", headers, big)
    assert 400 <= status < 500
    assert_aws_shaped(status, reply_headers, body)
    form = urlencode({"Action": "SendMessage", "MessageBody": "y" * 1_500_000}).encode()
    status, reply_headers, body = _exchange(
        fuzz_port, "POST", QUEUE_PATH, {"Content-Type": CONTENT_TYPES[4]}, form
    )
    assert 400 <= status < 500
    assert_aws_shaped(status, reply_headers, body)
    _still_serving(sqs_client)


def test_declared_huge_length_is_refused_without_waiting_for_the_body(fuzz_port: int) -> None:
    head = (
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n"
        "Content-Type: application/x-amz-json-1.0\r\nContent-Length: 1000000000000\r\n\r\n{"
    )
    with socket.create_connection(("127.0.0.1", fuzz_port), timeout=10) as sock:
        sock.sendall(head.encode())
        reply = http.client.HTTPResponse(sock, method="POST")
        reply.begin()  # a server that waited for a terabyte would time out here
        status, headers = reply.status, {k.lower(): v for k, v in reply.getheaders()}
        assert_aws_shaped(status, headers, reply.read())
    assert status == 413


@pytest.mark.parametrize(
    "raw",
    [
        b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nabcdefg",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GARBAGE\r\n\r\n",
        b"POST /\x00 HTTP/1.1\r\n\r\n",
    ],
)
def test_unparseable_http_gets_a_4xx(fuzz_port: int, sqs_client: Any, raw: bytes) -> None:
    with socket.create_connection(("127.0.0.1", fuzz_port), timeout=10) as sock:
        sock.sendall(raw)
        reply = http.client.HTTPResponse(sock, method="POST")
        reply.begin()
        status = reply.status
        assert_aws_shaped(status, {k.lower(): v for k, v in reply.getheaders()}, reply.read())
    assert 400 <= status < 500
    _still_serving(sqs_client)
