"""The JSON 1.0 wire format and bad input over raw HTTP: AWS-shaped 4xx, never a 500."""

from __future__ import annotations

import http.client
import json
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest

from spotq.sqs.server import RunningSqsServer


def _post(
    server: RunningSqsServer, body: bytes, target: str = "AmazonSQS.ListQueues", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(server.endpoint_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    sent = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target, **headers}
    conn.request("POST", "/", body=body, headers=sent)
    reply = conn.getresponse()
    data = reply.read()
    conn.close()
    return reply.status, {k.lower(): v for k, v in reply.getheaders()}, data


def test_error_shape_for_botocore(sqs_server: RunningSqsServer) -> None:
    status, headers, body = _post(sqs_server, b'{"QueueName": "missing"}', "AmazonSQS.GetQueueUrl")
    assert status == 400
    assert json.loads(body)["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"
    assert headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert headers["x-amzn-requestid"]


def test_charset_suffix_is_accepted(sqs_server: RunningSqsServer) -> None:
    status, headers, _ = _post(
        sqs_server, b"{}", **{"Content-Type": "application/x-amz-json-1.0; charset=utf-8"}
    )
    assert status == 200
    assert headers["content-type"] == "application/x-amz-json-1.0"


@pytest.mark.parametrize(
    ("body", "target", "code"),
    [
        (b"{not json", "AmazonSQS.ListQueues", "SerializationException"),
        (b"[1, 2]", "AmazonSQS.ListQueues", "SerializationException"),
        (b"\xff\xfe", "AmazonSQS.ListQueues", "SerializationException"),
        (b"[" * 100_000 + b"]" * 100_000, "AmazonSQS.ListQueues", "SerializationException"),
        (b'{"QueueName": 5}', "AmazonSQS.CreateQueue", "SerializationException"),
        (
            b'{"QueueName": "q", "Attributes": []}',
            "AmazonSQS.CreateQueue",
            "SerializationException",
        ),
        (b'{"MaxResults": "ten"}', "AmazonSQS.ListQueues", "SerializationException"),
        (b'{"MaxResults": true}', "AmazonSQS.ListQueues", "SerializationException"),
        (b"{}", "AmazonSQS.CreateQueue", "MissingParameter"),
        (b"{}", "AmazonSQS.NoSuchThing", "InvalidAction"),
        (
            b'{"QueueUrl": "/000000000000/q", "Entries": [{"Id": "a"}]}',
            "AmazonSQS.SendMessageBatch",
            "MissingParameter",
        ),
        (
            b'{"QueueUrl": "q", "MessageBody": "x", "MessageAttributes": '
            b'{"b": {"DataType": "Binary", "BinaryValue": "!!notbase64"}}}',
            "AmazonSQS.SendMessage",
            "SerializationException",
        ),
    ],
)
def test_bad_input_is_a_4xx(
    sqs_server: RunningSqsServer,
    body: bytes,
    target: str,
    code: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _post(sqs_server, b'{"QueueName": "q"}', "AmazonSQS.CreateQueue")
    with caplog.at_level(logging.ERROR):
        status, headers, data = _post(sqs_server, body, target)
    assert status == 400, data
    assert headers["x-amzn-query-error"].split(";")[0] == code
    assert "InternalFailure" not in data.decode()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_oversized_body_is_refused_from_content_length(sqs_server: RunningSqsServer) -> None:
    parts = urlsplit(sqs_server.endpoint_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        head = (
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
            "X-Amz-Target: AmazonSQS.SendMessage\r\nContent-Length: 50000000\r\n\r\n"
        )
        sock.sendall(head.encode() + b"x" * 70_000)
        sock.sendall(b"x" * 2_000_000)
        reply = b""
        sock.shutdown(socket.SHUT_WR)
        try:
            while chunk := sock.recv(65536):
                reply += chunk
        except ConnectionResetError:
            pass
    assert reply.startswith(b"HTTP/1.1 413"), reply[:100]
    assert b"RequestEntityTooLarge" in reply


def test_pipelined_requests_are_answered_in_order(sqs_server: RunningSqsServer) -> None:
    parts = urlsplit(sqs_server.endpoint_url)
    bodies = [json.dumps({"QueueName": f"pipe{i}"}).encode() for i in range(5)]
    raw = b"".join(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
        b"X-Amz-Target: AmazonSQS.CreateQueue\r\nContent-Length: "
        + str(len(b)).encode()
        + b"\r\n\r\n"
        + b
        for b in bodies
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(raw)
        reply = b""
        while reply.count(b"HTTP/1.1 200") < 5 or not reply.endswith(b"}"):
            reply += sock.recv(65536)
    order = [reply.find(f"pipe{i}".encode()) for i in range(5)]
    assert order == sorted(order) and order[0] > 0


def test_malformed_http_gets_a_400(sqs_server: RunningSqsServer) -> None:
    parts = urlsplit(sqs_server.endpoint_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 400")


def test_unexpected_failure_is_an_internal_failure_500(
    sqs_server: RunningSqsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spotq.sqs import ops_queues

    def boom(*_: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setitem(ops_queues.HANDLERS, "ListQueues", boom)
    from spotq.sqs import service

    monkeypatch.setitem(service._HANDLERS, "ListQueues", boom)
    status, _headers, body = _post(sqs_server, b"{}")
    assert status == 500
    assert json.loads(body)["__type"] == "com.amazonaws.sqs#InternalFailure"
