"""Receiving: pick receivable messages, redrive over-received ones, mark the rest in flight."""

from __future__ import annotations

import os
import sqlite3
from typing import NamedTuple

from spotq.sqs import fifo, inflight, messages, validation
from spotq.sqs.errors import sqs_error
from spotq.sqs.schema import IN_FLIGHT, VISIBLE
from spotq.sqs.store import Queue, SqsStore

ATTEMPT_WINDOW_S = 300.0
_COLUMNS = (
    "id, message_id, body, attrs, md5_body, md5_attrs, trace_header, md5_sys, group_id, "
    "dedup_id, sender_id, sent_s, state, receive_count, first_receive_s, receipt, dlq_source_arn"
)
# What a reply without system or message attributes shows (fewer columns: a cheaper SELECT).
_LEAN_COLUMNS = "id, message_id, body, md5_body"
_LEAN_SELECT = (
    f"SELECT {_LEAN_COLUMNS} FROM messages WHERE queue_id=? AND state=? ORDER BY visible_at LIMIT ?"
)


class Received(NamedTuple):
    """A message as handed to a receiver (a tuple: built for every message delivered, and a
    tuple is built in half the time of a slotted dataclass of 15 fields)."""

    seq: int
    message_id: str
    receipt_handle: str
    body: str
    md5_body: str
    attrs: str | None
    md5_attrs: str | None
    trace_header: str | None
    group_id: str | None
    dedup_id: str | None
    sender_id: str
    sent_s: float
    receive_count: int
    first_receive_s: float
    dlq_source_arn: str | None


def receive(
    store: SqsStore,
    queue: Queue,
    max_messages: int,
    visibility_s: int | None,
    attempt_id: str | None = None,
    lean: bool = False,
) -> list[Received]:
    """Receive up to `max_messages` now (no waiting: long polling lives in the server).
    `lean`: the caller shows no system or message attributes, so a standard queue without a
    dead-letter queue may leave those fields of the Received empty."""
    validation.int_range("MaxNumberOfMessages", max_messages, 1, 10)
    validation.int_range("VisibilityTimeout", visibility_s, 0, validation.MAX_VISIBILITY_S)
    if attempt_id is not None:
        validation.dedup_or_group_id("ReceiveRequestAttemptId", attempt_id)
    timeout_s = queue.visibility_s if visibility_s is None else visibility_s
    lean = lean and not queue.fifo and not queue.dlq_arn
    if lean and store.settled(queue):
        # Nothing to write before the read (no transition due, no deferred work pending) and
        # the in-flight mark is deferred: one SELECT, without a BEGIN and COMMIT around it.
        return _receive_lean(store, queue, max_messages, timeout_s)
    with store.tx():
        store.maintain(queue)
        if attempt_id is not None and queue.fifo:
            again = _retry(store, queue, attempt_id)
            if again is not None:
                return again
        if lean:
            out = _receive_lean(store, queue, max_messages, timeout_s)
        else:
            out = _receive(store, queue, max_messages, timeout_s)
    if attempt_id is not None and queue.fifo:
        expires_s = store.now() + ATTEMPT_WINDOW_S
        pairs = [(m.seq, m.receipt_handle) for m in out]
        store.attempts[(queue.id, attempt_id)] = (expires_s, pairs)
    return out


def _receive(store: SqsStore, queue: Queue, max_messages: int, timeout_s: int) -> list[Received]:
    if _inflight(store, queue) >= store.inflight_limit:
        if queue.fifo:
            return []
        raise sqs_error("OverLimit", "Too many messages in flight for this queue.")
    chosen: list[sqlite3.Row] = []
    dlq = store.queue_by_arn(queue.dlq_arn) if queue.dlq_arn else None
    for _ in range(20):  # refill after redrives, bounded
        rows = _pick(store, queue, max_messages - len(chosen), chosen)
        if not rows:
            break
        redriven = False
        for row in rows:
            if dlq is not None and row["receive_count"] >= queue.max_receive_count:
                messages.transfer(store, queue, row, dlq, queue.arn)
                redriven = True
                continue
            chosen.append(row)
        if not redriven or len(chosen) >= max_messages:
            break
    return _mark_all(store, queue, chosen, timeout_s) if chosen else []


def _receive_lean(
    store: SqsStore, queue: Queue, max_messages: int, timeout_s: int
) -> list[Received]:
    """_receive for a standard queue without redrive, reading only _LEAN_COLUMNS: the other
    fields, system attributes included (receive count, first receive), are left empty."""
    if _inflight(store, queue) >= store.inflight_limit:
        raise sqs_error("OverLimit", "Too many messages in flight for this queue.")
    rows = store.run(_LEAN_SELECT, (queue.id, VISIBLE, max_messages)).fetchall()
    if not rows:
        return []
    _, nonce = _mark(store, queue, [row[0] for row in rows], timeout_s)
    receipt = f"{nonce}{queue.id:x}."
    new = tuple.__new__  # what Received(...) runs, less a Python frame per message
    return [
        new(
            Received,
            (
                row[0],
                row[1],
                f"{receipt}{row[0]:x}",
                row[2],
                row[3],
                None,
                None,
                None,
                None,
                None,
                "",
                0.0,
                0,
                0.0,
                None,
            ),
        )
        for row in rows
    ]


def _pick(
    store: SqsStore, queue: Queue, limit: int, chosen: list[sqlite3.Row]
) -> list[sqlite3.Row]:
    if queue.fifo:
        taken = {row["id"] for row in chosen}
        return [
            r for r in fifo.pick(store, queue, limit + len(taken), _COLUMNS) if r["id"] not in taken
        ]
    # The in-flight mark of rows already chosen is deferred (_mark): they still read as visible,
    # so a refill after a redrive must skip them or it would deliver (and count) them twice.
    taken = {row[0] for row in chosen}
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM messages WHERE queue_id=? AND state=? ORDER BY visible_at LIMIT ?",
        (queue.id, VISIBLE, limit + len(taken)),
    ).fetchall()
    return [row for row in rows if row[0] not in taken][:limit]


def _inflight(store: SqsStore, queue: Queue) -> int:
    return queue.counts[IN_FLIGHT]


def _mark_all(
    store: SqsStore, queue: Queue, rows: list[sqlite3.Row], timeout_s: int
) -> list[Received]:
    """Put the chosen messages in flight with one UPDATE; each gets a fresh receipt handle."""
    now, nonce = _mark(store, queue, [row[0] for row in rows], timeout_s)
    if queue.fifo:
        fifo.block(store, queue, {row["group_id"] for row in rows if row["group_id"] is not None})
    receipt = f"{nonce}{queue.id:x}."  # inflight.make_receipt, less the message's own part
    return [
        _received(queue, row, f"{receipt}{row[0]:x}", now if row[13] == 0 else row[14], 1)
        for row in rows
    ]


def _mark(store: SqsStore, queue: Queue, ids: list[int], timeout_s: int) -> tuple[float, str]:
    """Put messages in flight; returns (now, the receive's nonce). On a standard queue the UPDATE
    runs once the reply is written (store.after_reply), before anything else reads the store;
    a FIFO queue's group bookkeeping goes with it, so there it runs at once."""
    now, nonce = store.now(), os.urandom(8).hex()
    if queue.fifo:
        _mark_at(store, queue, ids, timeout_s, now, nonce)
    else:
        store.after_reply(
            queue, lambda current: _mark_at(store, current, ids, timeout_s, now, nonce)
        )
    return now, nonce


def _mark_at(
    store: SqsStore, queue: Queue, ids: list[int], timeout_s: int, now: float, nonce: str
) -> None:
    visible_at = now + timeout_s
    marks = ",".join("?" * len(ids))
    marked = store.run(
        "UPDATE messages SET state=?, visible_at=?, receive_count=receive_count+1, "
        "first_receive_s=CASE WHEN receive_count=0 THEN ? ELSE first_receive_s END, "
        "received_s=?, receipt=? "
        f"WHERE id IN ({marks}) AND state=?",
        (IN_FLIGHT, visible_at, now, now, nonce, *ids, VISIBLE),
    ).rowcount
    store.bump(queue.id, VISIBLE, -marked)  # the counters follow the rows actually moved
    store.bump(queue.id, IN_FLIGHT, marked)
    store.note_deadline(queue, visible_at)


def _received(
    queue: Queue, row: sqlite3.Row, handle: str, first_s: float, extra_receives: int
) -> Received:
    # Positional row access (the order of _COLUMNS): this runs for every delivered message.
    return Received(
        row[0],
        row[1],
        handle,
        row[2],
        row[4],
        row[3],
        row[5],
        row[6],
        row[8],
        row[9] if queue.fifo else None,
        row[10],
        row[11],
        row[13] + extra_receives,
        first_s,
        row[16],
    )


def _retry(store: SqsStore, queue: Queue, attempt_id: str) -> list[Received] | None:
    """The same messages and handles as an earlier receive with this attempt id, if none of
    them has been deleted, re-received or made visible since."""
    entry = store.attempts.get((queue.id, attempt_id))
    if entry is None or entry[0] <= store.now():
        return None
    out: list[Received] = []
    for seq, handle in entry[1]:
        row = store.conn.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE id=? AND +queue_id=?", (seq, queue.id)
        ).fetchone()
        if row is None or row["state"] != IN_FLIGHT:
            return None
        if inflight.make_receipt(queue.id, seq, row["receipt"]) != handle:
            return None
        out.append(_received(queue, row, handle, row["first_receive_s"], 0))
    return out
