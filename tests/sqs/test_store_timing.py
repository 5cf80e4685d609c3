"""Time-dependent queue rules on the store itself, driven by a FakeClock (no HTTP, no sleeping)."""

from __future__ import annotations

from typing import Any

import pytest

from spotq.clock import FakeClock
from spotq.sqs.errors import SqsError
from spotq.sqs.service import RequestContext, SqsService
from spotq.sqs.store import SqsStore

CTX = RequestContext("http://localhost:9324", "us-east-1", "000000000000")


class Harness:
    def __init__(self, **store_options: Any) -> None:
        self.clock = FakeClock()
        self.store = SqsStore(clock=self.clock, **store_options)
        self.service = SqsService(self.store)

    def __call__(self, operation: str, **params: Any) -> dict[str, Any]:
        return self.service.call(operation, params, CTX)

    def queue(self, name: str, **attributes: str) -> str:
        return str(self("CreateQueue", QueueName=name, Attributes=attributes)["QueueUrl"])

    def counts(self, url: str) -> tuple[int, int, int]:
        attrs = self("GetQueueAttributes", QueueUrl=url, AttributeNames=["All"])["Attributes"]
        return (
            int(attrs["ApproximateNumberOfMessages"]),
            int(attrs["ApproximateNumberOfMessagesNotVisible"]),
            int(attrs["ApproximateNumberOfMessagesDelayed"]),
        )


@pytest.fixture
def sqs() -> Harness:
    return Harness()


def _error(exc: pytest.ExceptionInfo[SqsError]) -> str:
    return exc.value.shape


def test_retention_expires_messages(sqs: Harness) -> None:
    url = sqs.queue("r", MessageRetentionPeriod="60")
    sqs("SendMessage", QueueUrl=url, MessageBody="old")
    sqs.clock.advance(30)
    sqs("SendMessage", QueueUrl=url, MessageBody="young")
    sqs.clock.advance(31)
    assert sqs.counts(url) == (1, 0, 0)
    got = sqs("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["young"]


def test_visibility_timeout_and_delay_move_counts(sqs: Harness) -> None:
    url = sqs.queue("v", VisibilityTimeout="10")
    sqs("SendMessage", QueueUrl=url, MessageBody="now")
    sqs("SendMessage", QueueUrl=url, MessageBody="later", DelaySeconds=5)
    assert sqs.counts(url) == (1, 0, 1)
    sqs("ReceiveMessage", QueueUrl=url)
    assert sqs.counts(url) == (0, 1, 1)
    sqs.clock.advance(5)
    assert sqs.counts(url) == (1, 1, 0)
    sqs.clock.advance(5)
    assert sqs.counts(url) == (2, 0, 0)


def test_first_receive_timestamp_is_kept(sqs: Harness) -> None:
    url = sqs.queue("t", VisibilityTimeout="1")
    sqs("SendMessage", QueueUrl=url, MessageBody="x")
    first = sqs("ReceiveMessage", QueueUrl=url, AttributeNames=["All"])["Messages"][0]
    sqs.clock.advance(2)
    second = sqs("ReceiveMessage", QueueUrl=url, AttributeNames=["All"])["Messages"][0]
    stamp = "ApproximateFirstReceiveTimestamp"
    assert second["Attributes"][stamp] == first["Attributes"][stamp]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"


def test_dedup_window_is_five_minutes(sqs: Harness) -> None:
    url = sqs.queue("d.fifo", FifoQueue="true")
    params = {"QueueUrl": url, "MessageBody": "x", "MessageGroupId": "g"}
    first = sqs("SendMessage", MessageDeduplicationId="id", **params)
    sqs.clock.advance(299)
    assert (
        sqs("SendMessage", MessageDeduplicationId="id", **params)["MessageId"] == first["MessageId"]
    )
    sqs.clock.advance(2)
    assert (
        sqs("SendMessage", MessageDeduplicationId="id", **params)["MessageId"] != first["MessageId"]
    )


def test_dedup_scope_message_group(sqs: Harness) -> None:
    url = sqs.queue("g.fifo", FifoQueue="true", DeduplicationScope="messageGroup")
    a = sqs(
        "SendMessage", QueueUrl=url, MessageBody="x", MessageGroupId="a", MessageDeduplicationId="1"
    )
    b = sqs(
        "SendMessage", QueueUrl=url, MessageBody="x", MessageGroupId="b", MessageDeduplicationId="1"
    )
    assert a["MessageId"] != b["MessageId"]


def test_purge_and_delete_sixty_second_rules(sqs: Harness) -> None:
    url = sqs.queue("p")
    sqs("PurgeQueue", QueueUrl=url)
    with pytest.raises(SqsError) as info:
        sqs("PurgeQueue", QueueUrl=url)
    assert _error(info) == "PurgeQueueInProgress" and info.value.status == 403
    sqs.clock.advance(60)
    sqs("PurgeQueue", QueueUrl=url)
    sqs("DeleteQueue", QueueUrl=url)
    sqs.clock.advance(59)
    with pytest.raises(SqsError) as info:
        sqs.queue("p")
    assert _error(info) == "QueueDeletedRecently"
    sqs.clock.advance(1)
    sqs.queue("p")


def test_in_flight_limit(sqs: Harness) -> None:
    small = Harness(inflight_limit=2)
    url = small.queue("cap")
    for body in "abc":
        small("SendMessage", QueueUrl=url, MessageBody=body)
    assert len(small("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=2)["Messages"]) == 2
    with pytest.raises(SqsError) as info:
        small("ReceiveMessage", QueueUrl=url)
    assert _error(info) == "OverLimit" and info.value.status == 403


def test_visibility_total_is_capped_at_twelve_hours(sqs: Harness) -> None:
    url = sqs.queue("cap12")
    sqs("SendMessage", QueueUrl=url, MessageBody="x")
    handle = sqs("ReceiveMessage", QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.clock.advance(20)
    sqs("ChangeMessageVisibility", QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43_000)
    with pytest.raises(SqsError) as info:
        sqs("ChangeMessageVisibility", QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43_200)
    assert _error(info) == "InvalidParameterValue"


def test_fifo_group_released_when_visibility_ends(sqs: Harness) -> None:
    url = sqs.queue("h.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    for body in ("1", "2"):
        sqs("SendMessage", QueueUrl=url, MessageBody=body, MessageGroupId="g")
    first = sqs("ReceiveMessage", QueueUrl=url, VisibilityTimeout=10)["Messages"]
    assert [m["Body"] for m in first] == ["1"]
    assert "Messages" not in sqs("ReceiveMessage", QueueUrl=url)
    sqs.clock.advance(10)
    again = sqs("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in again] == ["1", "2"]


def test_unknown_operation(sqs: Harness) -> None:
    with pytest.raises(SqsError) as info:
        sqs("Frobnicate")
    assert _error(info) == "InvalidAction"


def test_a_batch_delete_removes_in_flight_and_visible_again_messages(sqs: Harness) -> None:
    url = sqs.queue("d", VisibilityTimeout="10")
    entries = [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(4)]
    sqs("SendMessageBatch", QueueUrl=url, Entries=entries)
    got = sqs("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=4)["Messages"]
    handles = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
    # One made visible again at once, and (below) all of them after their timeout: the
    # handles of their receive still delete them.
    sqs("ChangeMessageVisibility", QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"],
        VisibilityTimeout=0)  # fmt: skip
    assert sqs.counts(url) == (1, 3, 0)
    done = sqs("DeleteMessageBatch", QueueUrl=url, Entries=handles[:2])
    assert (len(done["Successful"]), done["Failed"]) == (2, [])
    assert sqs.counts(url) == (0, 2, 0)
    sqs.clock.advance(11)
    assert sqs.counts(url) == (2, 0, 0)
    done = sqs("DeleteMessageBatch", QueueUrl=url, Entries=handles[2:])
    assert (len(done["Successful"]), done["Failed"]) == (2, [])
    assert sqs.counts(url) == (0, 0, 0)
    # Stale handles of deleted messages still succeed and delete nothing.
    done = sqs("DeleteMessageBatch", QueueUrl=url, Entries=handles)
    assert (len(done["Successful"]), done["Failed"]) == (4, [])
    assert sqs.counts(url) == (0, 0, 0)
