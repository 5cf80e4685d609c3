"""Message rows: sending (with FIFO dedup), deleting, changing visibility, expiry, transfers."""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from spotq.sqs import digests, fifo, validation
from spotq.sqs.errors import SqsError, sqs_error
from spotq.sqs.schema import DELAYED, IN_FLIGHT, VISIBLE
from spotq.sqs.store import Queue, SqsStore

DEDUP_WINDOW_S = 300.0
SEQUENCE_BASE = 10**19


@dataclass(frozen=True)
class NewMessage:
    """One message to send, in the JSON-protocol member shape."""

    body: str
    attributes: dict[str, dict[str, Any]]
    trace_header: dict[str, Any] | None = None
    delay_s: int | None = None
    group_id: str | None = None
    dedup_id: str | None = None


@dataclass(frozen=True)
class Sent:
    message_id: str
    md5_body: str
    md5_attrs: str | None
    md5_sys: str | None
    sequence_number: str | None


def sequence_number(seq: int) -> str:
    return str(SEQUENCE_BASE + seq)


def check(queue: Queue, msg: NewMessage) -> str | None:
    """Validate a message against the queue's rules; return the AWSTraceHeader value."""
    validation.message_body(msg.body)
    size = len(msg.body.encode("utf-8"))
    if msg.attributes:
        size += validation.message_attributes(msg.attributes)
    trace = validation.trace_header(msg.trace_header)
    if size > queue.max_size_bytes:
        raise validation.invalid_value(
            "MessageBody",
            "(message)",
            f"Message must be shorter than {queue.max_size_bytes} bytes.",
        )
    if msg.delay_s is not None:
        validation.int_range("DelaySeconds", msg.delay_s, 0, validation.MAX_DELAY_S)
    if msg.group_id is not None:
        validation.dedup_or_group_id("MessageGroupId", msg.group_id)
    if msg.dedup_id is not None:
        validation.dedup_or_group_id("MessageDeduplicationId", msg.dedup_id)
    if queue.fifo:
        _check_fifo(queue, msg)
    elif msg.dedup_id is not None:
        raise validation.invalid_value(
            "MessageDeduplicationId",
            msg.dedup_id,
            "The request includes a parameter that is not valid for this queue type.",
        )
    return trace


def _check_fifo(queue: Queue, msg: NewMessage) -> None:
    if msg.group_id is None:
        raise validation.missing("MessageGroupId")
    if msg.delay_s:
        raise validation.invalid_value(
            "DelaySeconds",
            msg.delay_s,
            "The request include parameter that is not valid for this queue type.",
        )
    if msg.dedup_id is None and not queue.content_dedup:
        raise sqs_error(
            "InvalidParameterValue",
            "The queue should either have ContentBasedDeduplication enabled or "
            "MessageDeduplicationId provided explicitly",
        )


def send(store: SqsStore, queue: Queue, msg: NewMessage, sender_id: str) -> Sent:
    """Store one message (inside the caller's transaction); FIFO duplicates return the original."""
    trace = check(queue, msg)
    md5_attrs = digests.md5_of_attributes(msg.attributes) if msg.attributes else None
    md5_sys = None
    if trace is not None:
        sys_attr = {"AWSTraceHeader": {"DataType": "String", "StringValue": trace}}
        md5_sys = digests.md5_of_attributes(sys_attr)
    md5_body = digests.md5_of_body(msg.body)
    now = store.now()
    dedup_id = msg.dedup_id
    if queue.fifo:
        dedup_id = dedup_id or digests.content_dedup_id(msg.body)
        dedup_key = f"{msg.group_id}\x00{dedup_id}" if queue.dedup_by_group else dedup_id
        hit = fifo.dedup_lookup(store, queue, dedup_key, now)
        if hit is not None:
            return Sent(hit[0], md5_body, md5_attrs, md5_sys, sequence_number(hit[1]))
    message_id = str(uuid.uuid4())
    delay_s = queue.delay_s if msg.delay_s is None else msg.delay_s
    seq = insert(
        store,
        queue,
        (message_id, msg.body, encode_attributes(msg.attributes), md5_body, md5_attrs, trace),
        (md5_sys, msg.group_id, dedup_id, sender_id, now),
        visible_at=now + delay_s,
    )
    if queue.fifo:
        fifo.dedup_record(store, queue, dedup_key, message_id, seq, now + DEDUP_WINDOW_S)
        return Sent(message_id, md5_body, md5_attrs, md5_sys, sequence_number(seq))
    return Sent(message_id, md5_body, md5_attrs, md5_sys, None)


def insert(
    store: SqsStore,
    queue: Queue,
    content: tuple[Any, ...],
    meta: tuple[Any, ...],
    *,
    visible_at: float,
    dlq_source_arn: str | None = None,
) -> int:
    """Insert a message row; `content` and `meta` follow the column order of the INSERT."""
    now = store.now()
    state = DELAYED if visible_at > now else VISIBLE
    cursor = store.conn.execute(
        "INSERT INTO messages (queue_id, message_id, body, attrs, md5_body, md5_attrs, "
        "trace_header, md5_sys, group_id, dedup_id, sender_id, sent_s, state, visible_at, "
        "dlq_source_arn) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (queue.id, *content, *meta, state, visible_at, dlq_source_arn),
    )
    seq = cursor.lastrowid
    assert seq is not None
    store.bump(queue.id, state, 1)
    if state == DELAYED:
        store.note_deadline(queue, visible_at)
    else:
        store.wake(queue.id)
    expiry_s = float(meta[4]) + queue.retention_s
    if expiry_s < queue.next_event_s:
        queue.next_event_s = expiry_s
    group_id = meta[1]
    if queue.fifo and group_id is not None:
        fifo.group_add(store, queue, group_id, seq)
    return seq


def remove(store: SqsStore, queue: Queue, seq: int, state: int, group_id: str | None) -> None:
    """Delete a message row and keep counters and FIFO groups in step."""
    store.conn.execute("DELETE FROM messages WHERE id=?", (seq,))
    store.bump(queue.id, state, -1)
    if queue.fifo and group_id is not None:
        fifo.group_remove(store, queue, group_id, seq, inflight=state == IN_FLIGHT)
        store.wake(queue.id)  # the group may be released for waiting receives


def transfer(
    store: SqsStore, source: Queue, row: sqlite3.Row, dest: Queue, dlq_arn: str | None
) -> None:
    """Move a message to another queue (dead-letter redrive or a move task), keeping its id,
    body, attributes and original sent time; its receive count starts again."""
    content = (
        row["message_id"],
        row["body"],
        row["attrs"],
        row["md5_body"],
        row["md5_attrs"],
        row["trace_header"],
    )
    group_id = row["group_id"] if dest.fifo else None
    meta = (row["md5_sys"], group_id, row["dedup_id"], row["sender_id"], row["sent_s"])
    insert(store, dest, content, meta, visible_at=store.now(), dlq_source_arn=dlq_arn)
    remove(store, source, row["id"], row["state"], row["group_id"])


def expire(store: SqsStore, queue: Queue, cutoff_s: float) -> None:
    """Drop messages sent at or before `cutoff_s` (retention period over)."""
    rows = store.conn.execute(
        "SELECT id, state, group_id FROM messages WHERE queue_id=? AND sent_s<=?",
        (queue.id, cutoff_s),
    ).fetchall()
    for row in rows:
        remove(store, queue, row[0], row[1], row[2])


def encode_attributes(attributes: dict[str, dict[str, Any]]) -> str | None:
    """Message attributes as stored: {name: [DataType, text or base64]}."""
    if not attributes:
        return None
    out: dict[str, list[str]] = {}
    for name, value in attributes.items():
        data_type = value["DataType"]
        if data_type.startswith("Binary"):
            out[name] = [data_type, base64.b64encode(value["BinaryValue"]).decode("ascii")]
        else:
            out[name] = [data_type, value["StringValue"]]
    return json.dumps(out, separators=(",", ":"))


def decode_attributes(stored: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, (data_type, text) in json.loads(stored).items():
        if data_type.startswith("Binary"):
            out[name] = {"DataType": data_type, "BinaryValue": base64.b64decode(text)}
        else:
            out[name] = {"DataType": data_type, "StringValue": text}
    return out


def make_receipt(queue_id: int, seq: int, nonce: str) -> str:
    raw = f"{queue_id}:{seq}:{nonce}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def parse_receipt(queue: Queue, handle: str) -> tuple[int, str]:
    """(message seq, nonce) from a receipt handle issued for this queue."""
    try:
        text = base64.urlsafe_b64decode(handle.encode("ascii")).decode("ascii")
        queue_id, seq, nonce = text.split(":")
        if int(queue_id) == queue.id and nonce:
            return int(seq), nonce
    except (ValueError, binascii.Error, UnicodeError):
        pass
    raise sqs_error(
        "ReceiptHandleIsInvalid",
        f'The input receipt handle "{handle}" is not a valid receipt handle.',
    )


def delete(store: SqsStore, queue: Queue, handle: str) -> None:
    """Delete by receipt handle; an already-deleted message, or one received again since this
    handle was issued, is left alone and the call still succeeds (as in SQS)."""
    seq, nonce = parse_receipt(queue, handle)
    store.maintain(queue)
    row = store.conn.execute(
        "SELECT state, group_id, receipt FROM messages WHERE id=? AND queue_id=?",
        (seq, queue.id),
    ).fetchone()
    if row is not None and row[2] == nonce:
        remove(store, queue, seq, row[0], row[1])


def change_visibility(store: SqsStore, queue: Queue, handle: str, timeout_s: int) -> None:
    """Set a received message's remaining invisibility (0 makes it visible now)."""
    validation.int_range("VisibilityTimeout", timeout_s, 0, validation.MAX_VISIBILITY_S)
    seq, nonce = parse_receipt(queue, handle)
    store.maintain(queue)
    row = store.conn.execute(
        "SELECT state, group_id, receipt, received_s FROM messages WHERE id=? AND queue_id=?",
        (seq, queue.id),
    ).fetchone()
    if row is None or row[2] != nonce:
        raise validation.invalid_value(
            "ReceiptHandle",
            handle,
            "Message does not exist or is not available for visibility timeout change.",
        )
    if row[0] != IN_FLIGHT:
        raise sqs_error("MessageNotInflight", "The message referred to isn't in flight.")
    now = store.now()
    if now + timeout_s - float(row[3]) > validation.MAX_VISIBILITY_S:
        raise validation.invalid_value(
            "VisibilityTimeout",
            timeout_s,
            f"Total VisibilityTimeout for the message is beyond the limit "
            f"[{validation.MAX_VISIBILITY_S} seconds]",
        )
    _set_visibility(store, queue, seq, row[1], now, timeout_s)


def _set_visibility(
    store: SqsStore, queue: Queue, seq: int, group_id: str | None, now: float, timeout_s: int
) -> None:
    if timeout_s == 0:
        store.conn.execute(
            "UPDATE messages SET state=?, visible_at=? WHERE id=?", (VISIBLE, now, seq)
        )
        store.bump(queue.id, IN_FLIGHT, -1)
        store.bump(queue.id, VISIBLE, 1)
        if queue.fifo and group_id is not None:
            fifo.group_inflight(store, queue, group_id, -1)
        store.wake(queue.id)
        return
    store.conn.execute("UPDATE messages SET visible_at=? WHERE id=?", (now + timeout_s, seq))
    store.note_deadline(queue, now + timeout_s)


def batch_error(entry_id: str, error: SqsError) -> dict[str, Any]:
    """A `Failed` entry of a batch reply."""
    return {
        "Id": entry_id,
        "SenderFault": error.sender_fault,
        "Code": error.code,
        "Message": error.message,
    }
