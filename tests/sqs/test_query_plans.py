"""Per-request cost must not grow with queue depth: every statement on the hot paths is an
indexed search, never a scan of a queue's messages."""

from __future__ import annotations

import re
from typing import Any

from spotq.sqs.service import RequestContext, SqsService
from spotq.sqs.store import SqsStore

CTX = RequestContext("http://localhost", "us-east-1", "000000000000")
# Statements that may legitimately search on the queue alone: MIN() and ORDER BY ... LIMIT.
_BOUNDED = re.compile(r"MIN\(|ORDER BY .* LIMIT", re.S)


def _cycle(service: SqsService, url: str, fifo: bool, tag: str) -> None:
    extra: dict[str, Any] = {"MessageGroupId": "g"} if fifo else {}
    entries = [{"Id": str(i), "MessageBody": f"{tag}{i}", **extra} for i in range(10)]
    service.call("SendMessageBatch", {"QueueUrl": url, "Entries": entries}, CTX)
    got = service.call("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 10}, CTX)
    handles = [m["ReceiptHandle"] for m in got["Messages"]]
    service.call(
        "ChangeMessageVisibility",
        {"QueueUrl": url, "ReceiptHandle": handles[0], "VisibilityTimeout": 5},
        CTX,
    )
    service.call(
        "DeleteMessageBatch",
        {
            "QueueUrl": url,
            "Entries": [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles)],
        },
        CTX,
    )
    service.call("GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]}, CTX)


def _plans(fifo: bool) -> list[tuple[str, str]]:
    store = SqsStore()
    service = SqsService(store)
    attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    name = "plan.fifo" if fifo else "plan"
    url = service.call("CreateQueue", {"QueueName": name, "Attributes": attrs}, CTX)["QueueUrl"]
    _cycle(service, url, fifo, "warm")  # first-time paths
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    _cycle(service, url, fifo, "hot")
    store.conn.set_trace_callback(None)
    out = []
    for sql in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            continue
        plan = " | ".join(row[3] for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql))
        out.append((sql, plan))
    return out


def _check(plans: list[tuple[str, str]]) -> None:
    assert plans
    for sql, plan in plans:
        assert "SCAN messages" not in plan, (sql, plan)
        assert "SCAN fifo_heads" not in plan, (sql, plan)
        searches_queue_only = re.search(r"\(queue_id=\?\)", plan) is not None
        assert not searches_queue_only or _BOUNDED.search(sql), (sql, plan)


def test_standard_queue_hot_paths_are_indexed() -> None:
    _check(_plans(fifo=False))


def test_fifo_queue_hot_paths_are_indexed() -> None:
    _check(_plans(fifo=True))
