"""FIFO behaviour as recorded against AWS: group visibility and turn order, purge and the
deduplication cache, batch sends, queue delay. Each runs under both protocols."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from spotq.sqs.service import RequestContext, SqsService
from spotq.sqs.store import SqsStore

CTX = RequestContext("http://localhost", "us-east-1", "000000000000")


def _fifo(client: Any, name: str = "f.fifo", **extra: str) -> str:
    attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "true", **extra}
    return str(client.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"])


def _send(client: Any, url: str, body: str, group: str) -> None:
    client.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)


def _receive(client: Any, url: str, count: int, **extra: Any) -> list[dict[str, Any]]:
    reply = client.receive_message(QueueUrl=url, MaxNumberOfMessages=count, **extra)
    return list(reply.get("Messages", []))


def _bodies(messages: list[dict[str, Any]]) -> list[str]:
    return [m["Body"] for m in messages]


def test_a_head_made_visible_again_comes_first_and_waits_its_turn(client: Any) -> None:
    url = _fifo(client)
    for body, group in (("g1-m1", "g1"), ("g1-m2", "g1"), ("g2-m1", "g2")):
        _send(client, url, body, group)
    first = _receive(client, url, 2)
    assert _bodies(first) == ["g1-m1", "g1-m2"]
    client.change_message_visibility(
        QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    # g1's head is visible again: it comes before g1-m2 (still in flight), and g1 goes behind
    # g2, which was waiting.
    assert _bodies(_receive(client, url, 3)) == ["g2-m1", "g1-m1"]


def test_receive_with_zero_visibility_leaves_the_group_receivable(client: Any) -> None:
    url = _fifo(client)
    for body, group in (("a1", "A"), ("a2", "A"), ("b1", "B")):
        _send(client, url, body, group)
    assert _bodies(_receive(client, url, 1, VisibilityTimeout=0)) == ["a1"]
    # a1 is visible again at once: group A goes behind B, and starts again with a1.
    assert _bodies(_receive(client, url, 10, VisibilityTimeout=0)) == ["b1", "a1", "a2"]


def test_a_group_is_delivered_up_to_its_first_invisible_message(client: Any) -> None:
    url = _fifo(client)
    for body in ("m1", "m2", "m3"):
        _send(client, url, body, "G")
    got = _receive(client, url, 3)
    assert _bodies(got) == ["m1", "m2", "m3"]
    # m2 stays in flight longer; m1 and m3 become visible again.
    client.change_message_visibility(
        QueueUrl=url, ReceiptHandle=got[1]["ReceiptHandle"], VisibilityTimeout=60
    )
    for index in (0, 2):
        client.change_message_visibility(
            QueueUrl=url, ReceiptHandle=got[index]["ReceiptHandle"], VisibilityTimeout=0
        )
    assert _bodies(_receive(client, url, 10)) == ["m1"]
    # While the head (m1 again) is in flight, nothing else from the group.
    assert _receive(client, url, 10) == []


def test_an_extended_head_holds_its_group_back(client: Any) -> None:
    url = _fifo(client)
    for body in ("m1", "m2"):
        _send(client, url, body, "G")
    got = _receive(client, url, 2)
    client.change_message_visibility(
        QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"], VisibilityTimeout=60
    )
    client.change_message_visibility(
        QueueUrl=url, ReceiptHandle=got[1]["ReceiptHandle"], VisibilityTimeout=0
    )
    assert _receive(client, url, 10) == []


def test_purge_forgets_deduplication_ids(client: Any) -> None:
    url = str(client.create_queue(QueueName="p.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"])
    sent = dict(QueueUrl=url, MessageBody="x", MessageGroupId="G", MessageDeduplicationId="d1")
    client.send_message(**sent)
    client.purge_queue(QueueUrl=url)
    client.send_message(**sent)
    # Without the purge clearing the cache this second send was accepted and silently dropped.
    assert _bodies(_receive(client, url, 10)) == ["x"]


def test_batch_entry_without_group_fails_the_whole_call(client: Any) -> None:
    url = _fifo(client)
    entries = [
        {"Id": "ok", "MessageBody": "a", "MessageGroupId": "G"},
        {"Id": "bad", "MessageBody": "b"},
    ]
    with pytest.raises(ClientError) as info:
        client.send_message_batch(QueueUrl=url, Entries=entries)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert info.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert _receive(client, url, 10) == []  # nothing of the batch was sent


def test_batch_entry_without_dedup_id_fails_the_whole_call(client: Any) -> None:
    url = str(client.create_queue(QueueName="d.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"])
    entries = [
        {"Id": "ok", "MessageBody": "a", "MessageGroupId": "G", "MessageDeduplicationId": "1"},
        {"Id": "bad", "MessageBody": "b", "MessageGroupId": "G"},
    ]
    with pytest.raises(ClientError) as info:
        client.send_message_batch(QueueUrl=url, Entries=entries)
    assert info.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert _receive(client, url, 10) == []


def test_zero_delay_on_a_fifo_send_keeps_the_queue_delay(client: Any) -> None:
    url = _fifo(client, DelaySeconds="60")
    client.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="G", DelaySeconds=0)
    attrs = client.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
    assert _receive(client, url, 10) == []


def test_a_data_dir_from_before_group_heads_is_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "sqs.db"
    store = SqsStore(db)
    service = SqsService(store)
    attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    url = service.call("CreateQueue", {"QueueName": "u.fifo", "Attributes": attrs}, CTX)["QueueUrl"]
    for body, group in (("a1", "A"), ("a2", "A"), ("b1", "B")):
        params = {"QueueUrl": url, "MessageBody": body, "MessageGroupId": group}
        service.call("SendMessage", params, CTX)
    service.call("ReceiveMessage", {"QueueUrl": url}, CTX)  # a1 in flight: A held
    store.close()
    conn = sqlite3.connect(db, isolation_level=None)  # the old layout: fifo_groups, no fifo_heads
    conn.execute("DROP TABLE fifo_heads")
    conn.execute("CREATE TABLE fifo_groups (queue_id INTEGER, group_id TEXT)")
    conn.close()
    store = SqsStore(db)
    try:
        got = SqsService(store).call(
            "ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 10}, CTX
        )
        assert [m["Body"] for m in got["Messages"]] == ["b1"]
        tables = {row[0] for row in store.conn.execute("SELECT name FROM sqlite_master")}
        assert "fifo_groups" not in tables
    finally:
        store.close()


def _two_groups_same_dedup_id(client: Any, url: str) -> list[str]:
    for group in ("A", "B"):
        client.send_message(
            QueueUrl=url, MessageBody=group, MessageGroupId=group, MessageDeduplicationId="same"
        )
    return sorted(_bodies(_receive(client, url, 10)))


def test_deduplication_scope_is_the_one_the_queue_was_created_with(client: Any) -> None:
    per_group = {"FifoQueue": "true", "DeduplicationScope": "messageGroup"}
    url = client.create_queue(QueueName="g.fifo", Attributes=per_group)["QueueUrl"]
    assert _two_groups_same_dedup_id(client, url) == ["A", "B"]
    url = client.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    change = {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}
    client.set_queue_attributes(QueueUrl=url, Attributes=change)
    shown = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert shown["DeduplicationScope"] == "messageGroup"
    # SQS shows the new scope but keeps deduplicating across the queue, as created.
    assert _two_groups_same_dedup_id(client, url) == ["A"]
