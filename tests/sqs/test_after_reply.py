"""Work the store runs after a reply is written (deletes, plain receives' in-flight marks): it
must take effect before anything else reads the store, survive a restart once flushed, and a
failure must leave the counters consistent."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import boto3
import pytest

from spotq.clock import FakeClock
from spotq.sqs.schema import IN_FLIGHT, VISIBLE
from spotq.sqs.server import SqsServerConfig, start_server
from spotq.sqs.service import RequestContext, SqsService
from spotq.sqs.store import Queue, SqsStore

CTX = RequestContext("http://localhost:9324", "us-east-1", "000000000000")


class Deferring:
    """A store with deferral on, as the HTTP server runs it (flush() stands for 'reply sent')."""

    def __init__(self, path: Path | None = None) -> None:
        self.store = SqsStore(path, clock=FakeClock())
        self.store.defer_allowed = True
        self.service = SqsService(self.store)
        self.url = self("CreateQueue", QueueName="q")["QueueUrl"]

    def __call__(self, operation: str, **params: Any) -> dict[str, Any]:
        return self.service.call(operation, params, CTX)

    def states(self) -> list[tuple[int, int]]:
        rows = self.store.conn.execute("SELECT state, receive_count FROM messages ORDER BY id")
        return [(row[0], row[1]) for row in rows]

    def counts(self) -> tuple[str, str]:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attrs = self("GetQueueAttributes", QueueUrl=self.url, AttributeNames=names)["Attributes"]
        return attrs[names[0]], attrs[names[1]]


def _send(sqs: Deferring, n: int) -> None:
    entries = [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(n)]
    assert len(sqs("SendMessageBatch", QueueUrl=sqs.url, Entries=entries)["Successful"]) == n


def test_a_plain_receive_is_marked_in_flight_on_flush() -> None:
    sqs = Deferring()
    _send(sqs, 3)
    got = sqs("ReceiveMessage", QueueUrl=sqs.url, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 3
    assert sqs.states() == [(VISIBLE, 0)] * 3  # the reply is out, the UPDATE not yet run
    sqs.store.flush()
    assert sqs.states() == [(IN_FLIGHT, 1)] * 3
    assert sqs.counts() == ("0", "3")


def test_the_next_request_runs_deferred_work_first() -> None:
    sqs = Deferring()
    _send(sqs, 2)
    first = sqs("ReceiveMessage", QueueUrl=sqs.url, MaxNumberOfMessages=10)["Messages"]
    # No flush: a second receive must not hand out the same messages again.
    assert "Messages" not in sqs("ReceiveMessage", QueueUrl=sqs.url, MaxNumberOfMessages=10)
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(first)]
    reply = sqs("DeleteMessageBatch", QueueUrl=sqs.url, Entries=entries)
    assert len(reply["Successful"]) == 2
    assert len(sqs.states()) == 2  # deleted after the reply
    assert sqs.counts() == ("0", "0")  # ... and before this read
    assert sqs.states() == []


def test_a_malformed_handle_still_fails_in_the_reply() -> None:
    sqs = Deferring()
    entries = [{"Id": "a", "ReceiptHandle": "not-a-handle"}]
    reply = sqs("DeleteMessageBatch", QueueUrl=sqs.url, Entries=entries)
    assert reply["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"


def test_flushed_work_survives_a_reopen(tmp_path: Path) -> None:
    sqs = Deferring(tmp_path / "sqs.db")
    _send(sqs, 2)
    sqs("ReceiveMessage", QueueUrl=sqs.url, MaxNumberOfMessages=1)
    sqs.store.flush()
    sqs.store.conn.close()  # no checkpoint, no close(): as after a kill
    again = Deferring.__new__(Deferring)
    again.store = SqsStore(tmp_path / "sqs.db", clock=FakeClock())
    again.service = SqsService(again.store)
    again.url = sqs.url
    assert again.states() == [(IN_FLIGHT, 1), (VISIBLE, 0)]
    assert again.counts() == ("1", "1")


def test_a_failing_deferred_work_is_logged_and_rolled_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sqs = Deferring()
    _send(sqs, 1)
    queue = sqs.store.queue("q")

    def broken(current: Queue) -> None:
        sqs.store.bump(current.id, VISIBLE, -1)  # counted, then the SQL fails
        sqs.store.conn.execute("UPDATE no_such_table SET x = 1")

    sqs.store.after_reply(queue, broken)
    with caplog.at_level(logging.ERROR, logger="spotq.sqs.store"):
        assert sqs.counts() == ("1", "0")  # the next transaction ran it, and it rolled back
    assert "deferred SQS store work failed" in caplog.text
    assert len(sqs("ReceiveMessage", QueueUrl=sqs.url)["Messages"]) == 1


def test_without_a_server_work_runs_at_once() -> None:
    store = SqsStore(clock=FakeClock())
    SqsService(store).call("CreateQueue", {"QueueName": "q"}, CTX)
    ran: list[str] = []
    store.after_reply(store.queue("q"), lambda queue: ran.append(queue.name))
    assert ran == ["q"]


@pytest.mark.parametrize(("sync", "deferred"), [("normal", True), ("off", True), ("full", False)])
def test_sync_full_commits_everything_before_replying(
    tmp_path: Path, sync: str, deferred: bool
) -> None:
    config = SqsServerConfig(port=0, data_dir=tmp_path, sync=sync)
    with start_server(config) as server:
        assert server.store.defer_allowed is deferred
        sqs = boto3.client(
            "sqs",
            endpoint_url=server.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        url = sqs.create_queue(QueueName="s")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="b")
        message = sqs.receive_message(QueueUrl=url)["Messages"][0]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["ApproximateNumberOfMessages"] == "0"
        assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_a_receive_with_attributes_on_a_redriven_queue_is_deferred_too() -> None:
    sqs = Deferring()
    dlq = sqs("CreateQueue", QueueName="dlq")["QueueUrl"]
    arn = sqs("GetQueueAttributes", QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]
    policy = f'{{"deadLetterTargetArn": "{arn["QueueArn"]}", "maxReceiveCount": "2"}}'
    sqs("SetQueueAttributes", QueueUrl=sqs.url, Attributes={"RedrivePolicy": policy})
    _send(sqs, 1)
    for attempt in (1, 2):
        got = sqs(
            "ReceiveMessage",
            QueueUrl=sqs.url,
            VisibilityTimeout=0,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )["Messages"]
        assert got[0]["Attributes"]["ApproximateReceiveCount"] == str(attempt)
        assert sqs.states() == [(VISIBLE, attempt - 1)]  # marked after the reply
        sqs.store.flush()
    # The third receive finds it over maxReceiveCount and moves it, before replying.
    assert "Messages" not in sqs("ReceiveMessage", QueueUrl=sqs.url)
    assert sqs.states() == [(VISIBLE, 2)]  # now the DLQ's row (it keeps its count, as in SQS)
    assert len(sqs("ReceiveMessage", QueueUrl=dlq)["Messages"]) == 1
