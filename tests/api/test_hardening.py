"""Smaller holes: non-string batch idempotency keys, a DLQ listing that counted as receives, and
request bodies that never finish arriving."""

from __future__ import annotations

import dataclasses
import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from spotq.api.app import create_app
from spotq.fleet.apiserver import ApiServer
from spotq.fleet.embedded import EmbeddedStack
from spotq.jobs import JobState
from spotq.queues import make_sqs_client

from .conftest import Raw

READ_TIMEOUT_S = 0.5


def _runtime(stack: EmbeddedStack) -> Any:
    assert stack.runtime is not None
    return stack.runtime


def test_a_non_string_batch_idempotency_key_is_422(raw: Raw) -> None:
    items: list[dict[str, Any]] = [
        {"input": {}, "idempotency_key": key} for key in (5, 1.5, True, [], {"k": 1})
    ]
    items += [{"input": {}, "idempotency_key": "k"}, {"input": {}, "idempotency_key": "k"}]
    items += [{"input": {}, "idempotency_key": None}, {"input": {}, "idempotency_key": ""}]
    status, reply = raw.post_json("/v1/jobs:batch", {"jobs": items})
    assert status == 200
    statuses = [item["status"] for item in reply["items"]]
    assert statuses == [422] * 5 + [201, 200, 201, 422]
    assert "idempotency_key" in reply["items"][0]["error"]
    assert reply["items"][5]["job"]["id"] == reply["items"][6]["job"]["id"]
    assert len(raw.send("GET", "/v1/jobs")[1]["jobs"]) == 2
    # An empty key header would make every request that sends one the same job.
    reply = raw.post_json("/v1/jobs", {"input": {}}, **{"Idempotency-Key": ""})
    assert reply[0] == 422 and "idempotency_key" in reply[1]["detail"]


def _dead_job_in_the_dlq(stack: EmbeddedStack, raw: Raw) -> str:
    """A job that used all its receives, with its message moved to the DLQ by the queue."""
    rt = _runtime(stack)
    job_id = str(raw.post_json("/v1/jobs", {"input": {"n": 1}})[1]["id"])
    sqs = make_sqs_client(rt.settings.stack)
    url = rt.service.queues.normal_url
    for attempt in range(1, 20):  # the receive after the last allowed one moves it to the DLQ
        if not sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages"):
            break
        rt.service.jobs.mark_running(job_id, attempt, time.time())
    rt.service.jobs.mark_error(job_id, "boom", JobState.DEAD, time.time())
    assert rt.service.queues.depth(rt.service.queues.dlq_url).visible == 1
    return job_id


def test_listing_the_dlq_does_not_count_as_receiving(stack: EmbeddedStack, raw: Raw) -> None:
    job_id = _dead_job_in_the_dlq(stack, raw)
    for _ in range(3):
        status, listing = raw.send("GET", "/v1/dlq")
        assert status == 200
        [entry] = listing["messages"]
        assert entry["job_id"] == job_id and entry["state"] == "dead"
        assert entry["attempts"] == 3 and entry["receive_count"] == 3
        assert entry["last_error"] == "boom" and listing["approximate_depth"] == 1
    rt = _runtime(stack)
    sqs = make_sqs_client(rt.settings.stack)
    [message] = sqs.receive_message(
        QueueUrl=rt.service.queues.dlq_url,
        VisibilityTimeout=0,
        MessageSystemAttributeNames=["ApproximateReceiveCount"],
    )["Messages"]
    # its 3 receives before it was dead-lettered (kept, as SQS does) and this one: the
    # listings above did not count
    assert message["Attributes"]["ApproximateReceiveCount"] == "4"
    status, moved = raw.send("POST", "/v1/dlq:redrive")
    assert status == 200 and moved["moved_job_ids"] == [job_id]
    assert raw.send("GET", f"/v1/jobs/{job_id}")[1]["state"] == "queued"
    assert raw.send("GET", "/v1/dlq")[1]["messages"] == []


@pytest.fixture
def impatient_api(stack: EmbeddedStack) -> Iterator[str]:
    """A second API on the same stack that waits only READ_TIMEOUT_S for a body's next bytes."""
    settings = dataclasses.replace(_runtime(stack).settings, body_read_timeout_s=READ_TIMEOUT_S)
    server = ApiServer(create_app(settings), "127.0.0.1", 0)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def _stall(url: str, head: bytes, partial_body: bytes) -> bytes:
    """Send a request whose body stops short of its Content-Length; return the whole reply, read
    until the server closes the connection."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(head + partial_body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data; boundary=b"])
def test_a_body_shorter_than_its_length_times_out_with_408(
    impatient_api: str, content_type: str
) -> None:
    head = (
        f"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
        "Content-Length: 1000\r\n\r\n"
    ).encode()
    partial = b'{"input": {' if content_type == "application/json" else b"--b\r\nContent-Dis"
    reply = _stall(impatient_api, head, partial)  # a hang would end in socket.timeout
    status_line, _, rest = reply.partition(b"\r\n")
    assert b" 408 " in status_line, reply
    body = json.loads(rest.split(b"\r\n\r\n", 1)[1])
    assert body["error"] == "RequestTimeout" and "stopped arriving" in body["detail"]
    status, _ = Raw(impatient_api).post_json("/v1/jobs", {"input": {}})
    assert status == 201  # the server is still serving
