"""Message rows: sending (with FIFO dedup), deleting, changing visibility, expiry, transfers."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from typing import Any

from spotq.sqs import digests, fifo, validation
from spotq.sqs.errors import SqsError, sqs_error
from spotq.sqs.schema import DELAYED, VISIBLE
from spotq.sqs.store import Queue, SqsStore

DEDUP_WINDOW_S = 300.0
SEQUENCE_BASE = 10**19


@dataclass(slots=True)
class NewMessage:
    """One message to send, in the JSON-protocol member shape."""

    body: str
    attributes: dict[str, dict[str, Any]]
    trace_header: dict[str, Any] | None = None
    delay_s: int | None = None
    group_id: str | None = None
    dedup_id: str | None = None


@dataclass(slots=True)
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
        raise validation.too_long(queue.max_size_bytes)
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


def _check_fifo_batch_entry(queue: Queue, msg: NewMessage) -> None:
    """In a FIFO batch a missing group or deduplication id fails the whole call (as in SQS),
    not just its entry."""
    if msg.group_id is None:
        raise sqs_error(
            "InvalidParameterValue", "The request must contain the parameter MessageGroupId."
        )
    if msg.dedup_id is None and not queue.content_dedup:
        raise sqs_error(
            "InvalidParameterValue",
            "The queue should either have ContentBasedDeduplication enabled or "
            "MessageDeduplicationId provided explicitly",
        )


def message_id() -> str:
    """A random (version 4) UUID string; cheaper than uuid.uuid4() on the hot path."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT_OF[h[16]]}{h[17:20]}-{h[20:]}"


def message_ids(count: int) -> list[str]:
    """`count` message ids as message_id() makes them, from one urandom call (sliced straight
    from the one hex string, the variant digit by table: this runs for every message sent)."""
    h = os.urandom(16 * count).hex()
    variant = _VARIANT_OF
    return [
        f"{h[s : s + 8]}-{h[s + 8 : s + 12]}-4{h[s + 13 : s + 16]}-{variant[h[s + 16]]}"
        f"{h[s + 17 : s + 20]}-{h[s + 20 : s + 32]}"
        for s in range(0, 32 * count, 32)
    ]


_VARIANT = "89ab"
# A random hex digit -> the UUID variant digit (10xx in binary) made from its low two bits.
_VARIANT_OF = {digit: _VARIANT[int(digit, 16) & 3] for digit in "0123456789abcdef"}
_INSERT = (
    "INSERT INTO messages (queue_id, message_id, body, attrs, md5_body, md5_attrs, "
    "trace_header, md5_sys, group_id, dedup_id, sender_id, sent_s, state, visible_at, "
    "dlq_source_arn) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
# Most messages have no attributes, group or dedup id: naming only the set columns halves the
# cost of a batch INSERT (and skips the partial group index).
_INSERT_PLAIN = (
    "INSERT INTO messages (queue_id, message_id, body, md5_body, sender_id, sent_s, state, "
    "visible_at) VALUES (?,?,?,?,?,?,?,?)"
)
_OPTIONAL = (3, 5, 6, 7, 8, 9, 14)  # row positions of the columns _INSERT_PLAIN leaves out


def _plain(row: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The _INSERT_PLAIN parameters of a row, or None when it sets an optional column."""
    for index in _OPTIONAL:
        if row[index] is not None:
            return None
    return (row[0], row[1], row[2], row[4], row[10], row[11], row[12], row[13])


_STATE, _VISIBLE_AT, _GROUP = 12, 13, 8


def prepare(
    queue: Queue, msg: NewMessage, sender_id: str, now: float
) -> tuple[tuple[Any, ...], Sent]:
    """Validate a message and build its row (INSERT column order) and its reply."""
    trace = check(queue, msg)
    md5_attrs = digests.md5_of_attributes(msg.attributes) if msg.attributes else None
    md5_sys = None
    if trace is not None:
        sys_attr = {"AWSTraceHeader": {"DataType": "String", "StringValue": trace}}
        md5_sys = digests.md5_of_attributes(sys_attr)
    md5_body = digests.md5_of_body(msg.body)
    dedup_id = msg.dedup_id
    if queue.fifo and dedup_id is None:
        dedup_id = digests.content_dedup_id(msg.body)
    new_id = message_id()
    # A FIFO queue's delay is the queue's: even DelaySeconds=0 on the send does not override it.
    delay_s = queue.delay_s if msg.delay_s is None or queue.fifo else msg.delay_s
    visible_at = now + delay_s
    row = (
        queue.id,
        new_id,
        msg.body,
        encode_attributes(msg.attributes),
        md5_body,
        md5_attrs,
        trace,
        md5_sys,
        msg.group_id,
        dedup_id,
        sender_id,
        now,
        DELAYED if visible_at > now else VISIBLE,
        visible_at,
        None,
    )
    return row, Sent(new_id, md5_body, md5_attrs, md5_sys, None)


def send(store: SqsStore, queue: Queue, msg: NewMessage, sender_id: str) -> Sent:
    """Store one message (inside the caller's transaction); FIFO duplicates return the original."""
    now = store.now()
    row, sent = prepare(queue, msg, sender_id, now)
    if not queue.fifo:
        insert_rows(store, queue, [row])
        return sent
    dedup_key = f"{msg.group_id}\x00{row[9]}" if queue.dedup_by_group else str(row[9])
    hit = fifo.dedup_lookup(store, queue, dedup_key, now)
    if hit is not None:
        return Sent(hit[0], sent.md5_body, sent.md5_attrs, sent.md5_sys, sequence_number(hit[1]))
    seq = insert_one(store, queue, row)
    fifo.dedup_record(store, queue, dedup_key, sent.message_id, seq, now + DEDUP_WINDOW_S)
    return Sent(sent.message_id, sent.md5_body, sent.md5_attrs, sent.md5_sys, sequence_number(seq))


def send_many(
    store: SqsStore, queue: Queue, batch: list[tuple[str, NewMessage]], sender_id: str
) -> tuple[list[tuple[str, Sent]], list[tuple[str, SqsError]]]:
    """Send a batch (inside the caller's transaction): one INSERT for a standard queue."""
    ok: list[tuple[str, Sent]] = []
    failed: list[tuple[str, SqsError]] = []
    if queue.fifo:
        for _, msg in batch:
            _check_fifo_batch_entry(queue, msg)
        for entry_id, msg in batch:
            try:
                ok.append((entry_id, send(store, queue, msg, sender_id)))
            except SqsError as error:
                failed.append((entry_id, error))
        return ok, failed
    now = store.now()
    rows: list[tuple[Any, ...]] = []
    for entry_id, msg in batch:
        try:
            row, sent = prepare(queue, msg, sender_id, now)
        except SqsError as error:
            failed.append((entry_id, error))
            continue
        rows.append(row)
        ok.append((entry_id, sent))
    if rows:
        insert_rows(store, queue, rows)
    return ok, failed


def send_plain(
    store: SqsStore, queue: Queue, entries: list[tuple[str, str, bytes]], sender_id: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Send (entry id, body, UTF-8 body) triples of a standard queue that carry nothing but a
    body (inside the caller's transaction); the same checks as `check` for such a message.
    Returns the batch reply's (Successful, Failed) entries."""
    now = store.now()
    max_bytes = queue.max_size_bytes
    delay_s = queue.delay_s
    state = DELAYED if delay_s > 0 else VISIBLE
    visible_at = now + delay_s
    ids = message_ids(len(entries))
    md5 = hashlib.md5
    # The columns every row shares, then (message id, body, MD5) per row: see _insert_plain_many.
    params: list[Any] = [queue.id, sender_id, now, state, visible_at]
    ok: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    # Non-empty printable ASCII bodies pass validation.message_body: one test for the batch.
    bodies = [body for _, body, _ in entries]
    joined = "".join(bodies)
    all_plain = all(bodies) and joined.isascii() and joined.isprintable()
    for (entry_id, body, encoded), new_id in zip(entries, ids, strict=True):
        if not all_plain or len(encoded) > max_bytes:
            try:
                validation.message_body(body)
                if len(encoded) > max_bytes:
                    raise validation.too_long(max_bytes)
            except SqsError as error:
                failed.append(batch_error(entry_id, error))
                continue
        md5_body = md5(encoded).hexdigest()
        params += (new_id, body, md5_body)
        ok.append({"Id": entry_id, "MD5OfMessageBody": md5_body, "MessageId": new_id})
    if ok:
        store.run(_insert_plain_many(len(ok)), params)
        _count_inserted(store, queue, len(ok), state, visible_at, now)
    return ok, failed


@functools.cache
def _insert_plain_many(count: int) -> str:
    """_INSERT_PLAIN for `count` rows in one statement: the shared columns are bound once
    (?1..?5), each row binds only its message id, body and MD5 (one step instead of one per
    row, 35 values bound for 10 rows instead of 80)."""
    rows = ",".join(
        f"(?1,?{6 + 3 * i},?{7 + 3 * i},?{8 + 3 * i},?2,?3,?4,?5)" for i in range(count)
    )
    return _INSERT_PLAIN.partition(" VALUES ")[0] + " VALUES " + rows


def _count_inserted(
    store: SqsStore, queue: Queue, count: int, state: int, visible_at: float, sent_s: float
) -> None:
    store.bump(queue.id, state, count)
    if state == DELAYED:
        store.note_deadline(queue, visible_at)
    else:
        store.wake(queue.id, count)
    _note_expiry(queue, sent_s)


def insert_rows(store: SqsStore, queue: Queue, rows: list[tuple[Any, ...]]) -> None:
    """Insert message rows of a standard queue (no sequence numbers needed back)."""
    plain = [_plain(row) for row in rows]
    if all(p is not None for p in plain):
        store.conn.executemany(_INSERT_PLAIN, plain)  # type: ignore[arg-type]
    else:
        store.conn.executemany(_INSERT, rows)
    delayed = [row[_VISIBLE_AT] for row in rows if row[_STATE] == DELAYED]
    if delayed:
        store.bump(queue.id, DELAYED, len(delayed))
        store.note_deadline(queue, min(delayed))
    if len(delayed) < len(rows):
        store.bump(queue.id, VISIBLE, len(rows) - len(delayed))
        store.wake(queue.id, len(rows) - len(delayed))
    _note_expiry(queue, min(float(row[11]) for row in rows))


def _note_expiry(queue: Queue, sent_s: float) -> None:
    expiry_s = sent_s + queue.retention_s
    if expiry_s < queue.next_event_s:
        queue.next_event_s = expiry_s


def insert_one(store: SqsStore, queue: Queue, row: tuple[Any, ...]) -> int:
    """Insert one message row and return its sequence (row id)."""
    plain = _plain(row)
    if plain is None:
        seq = store.conn.execute(_INSERT, row).lastrowid
    else:
        seq = store.conn.execute(_INSERT_PLAIN, plain).lastrowid
    assert seq is not None
    state = row[_STATE]
    store.bump(queue.id, state, 1)
    if state == DELAYED:
        store.note_deadline(queue, row[_VISIBLE_AT])
    else:
        store.wake(queue.id, 1)
    _note_expiry(queue, float(row[11]))
    group_id = row[_GROUP]
    if queue.fifo and group_id is not None:
        fifo.group_add(store, queue, group_id, seq, state == VISIBLE)
    return seq


def remove(store: SqsStore, queue: Queue, seq: int, state: int, group_id: str | None) -> None:
    """Delete a message row and keep counters and FIFO groups in step."""
    store.conn.execute("DELETE FROM messages WHERE id=?", (seq,))
    store.bump(queue.id, state, -1)
    if queue.fifo and group_id is not None:
        fifo.group_remove(store, queue, group_id, seq)
        store.wake(queue.id)  # the group may be released for waiting receives


def transfer(
    store: SqsStore, source: Queue, row: sqlite3.Row, dest: Queue, dlq_arn: str | None
) -> None:
    """Move a message to another queue (dead-letter redrive or a move task), keeping its id,
    body, attributes and original sent time. A redriven message keeps its receive count (as in
    SQS); one moved back by a move task starts again."""
    new_row = (
        dest.id,
        row["message_id"],
        row["body"],
        row["attrs"],
        row["md5_body"],
        row["md5_attrs"],
        row["trace_header"],
        row["md5_sys"],
        row["group_id"] if dest.fifo else None,
        row["dedup_id"],
        row["sender_id"],
        row["sent_s"],
        VISIBLE,
        store.now(),
        dlq_arn,
    )
    seq = insert_one(store, dest, new_row)
    if dlq_arn is not None and row["receive_count"]:
        store.conn.execute(
            "UPDATE messages SET receive_count=? WHERE id=?", (row["receive_count"], seq)
        )
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


def batch_error(entry_id: str, error: SqsError) -> dict[str, Any]:
    """A `Failed` entry of a batch reply."""
    return {
        "Id": entry_id,
        "SenderFault": error.sender_fault,
        "Code": error.code,
        "Message": error.message,
    }
