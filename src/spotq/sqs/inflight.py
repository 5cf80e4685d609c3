"""Operations on received messages by receipt handle: delete and change visibility."""

from __future__ import annotations

from spotq.sqs import fifo, validation
from spotq.sqs.errors import SqsError, sqs_error
from spotq.sqs.messages import remove
from spotq.sqs.schema import IN_FLIGHT, VISIBLE
from spotq.sqs.store import Queue, SqsStore


def make_receipt(queue_id: int, seq: int, nonce: str) -> str:
    """An opaque-to-clients receipt handle naming the queue, the message and this receive."""
    return f"{nonce}{queue_id:x}.{seq:x}"


def parse_receipt(queue: Queue, handle: str) -> tuple[int, str]:
    """(message seq, nonce) from a receipt handle issued for this queue."""
    nonce, ids = handle[:_NONCE_CHARS], handle[_NONCE_CHARS:]
    queue_hex, _, seq_hex = ids.partition(".")
    try:
        if int(queue_hex, 16) == queue.id and len(nonce) == _NONCE_CHARS and int(nonce, 16) >= 0:
            return int(seq_hex, 16), nonce
    except ValueError:
        pass
    raise _invalid_receipt(handle)


_NONCE_CHARS = 16


def _invalid_receipt(handle: str) -> SqsError:
    return sqs_error(
        "ReceiptHandleIsInvalid",
        f'The input receipt handle "{handle}" is not a valid receipt handle.',
    )


def delete(store: SqsStore, queue: Queue, handle: str) -> None:
    """Delete by receipt handle; an already-deleted message, or one received again since this
    handle was issued, is left alone and the call still succeeds (as in SQS)."""
    delete_many(store, queue, [("", handle)])


def delete_many(
    store: SqsStore, queue: Queue, entries: list[tuple[str, str]]
) -> list[tuple[str, SqsError]]:
    """Delete (entry id, receipt handle) pairs; return the entries that failed.
    On a standard queue stale or repeated handles succeed without deleting, so the reply depends
    only on the handles' form: the rows are deleted after the reply is sent (store.after_reply).
    A FIFO queue refuses a handle whose message is no longer in flight under it (expired)."""
    failed: list[tuple[str, SqsError]] = []
    wanted: dict[int, str] = {}
    sources: dict[int, tuple[str, str]] = {}  # FIFO only: seq -> (entry id, handle)
    # Handles from one receive share "nonce + queue id + '.'": once one has parsed, the rest
    # only need their message part parsed (the same checks, fewer int() calls).
    good_prefix, good_nonce, start = "", "", 0
    for entry_id, handle in entries:
        try:
            if good_prefix and handle.startswith(good_prefix):
                try:
                    seq, nonce = int(handle[start:], 16), good_nonce
                except ValueError:
                    raise _invalid_receipt(handle) from None
            else:
                seq, nonce = parse_receipt(queue, handle)
                good_prefix, good_nonce = handle[: handle.index(".", _NONCE_CHARS) + 1], nonce
                start = len(good_prefix)
        except SqsError as error:
            if not entry_id:
                raise
            failed.append((entry_id, error))
            continue
        wanted[seq] = nonce
        if queue.fifo:
            sources[seq] = (entry_id, handle)
    if wanted and queue.fifo:
        # A FIFO queue refuses an expired handle, so its reply depends on the rows: delete now.
        with store.tx():
            expired = _delete_fifo(store, queue, wanted)
        failed.extend(_expired(sources[seq]) for seq in expired)
    elif wanted:
        store.after_reply(queue, lambda current: _delete_rows(store, current, wanted))
    return failed


def _delete_rows(store: SqsStore, queue: Queue, wanted: dict[int, str]) -> None:
    """Delete a standard queue's messages whose current receipt nonce is the one in the handle
    (inside a transaction); with one SELECT and one DELETE."""
    store.maintain(queue)
    marks = ",".join("?" * len(wanted))
    nonces = set(wanted.values())
    if len(nonces) == 1:
        # Handles from one receive share their nonce: one DELETE finds and removes them all.
        # Usually they are all still in flight, and a rowcount is all that is needed; any left
        # (visible again, or gone) are deleted by a second DELETE that returns their states.
        where = f"DELETE FROM messages WHERE id IN ({marks}) AND +queue_id=? AND receipt=?"
        params = (*wanted, queue.id, *nonces)
        in_flight = store.run(f"{where} AND state={IN_FLIGHT}", params).rowcount
        if in_flight:
            store.bump(queue.id, IN_FLIGHT, -in_flight)
        if in_flight < len(wanted):
            states = [row[0] for row in store.run(f"{where} RETURNING state", params).fetchall()]
            for state in set(states):
                store.bump(queue.id, state, -states.count(state))
        return
    # By row id only: with `queue_id=?` too, SQLite may prefer scanning a queue index.
    rows = store.conn.execute(
        f"SELECT id, state, group_id, receipt, queue_id FROM messages WHERE id IN ({marks})",
        tuple(wanted),
    ).fetchall()
    doomed = [row for row in rows if wanted[row[0]] == row[3] and row[4] == queue.id]
    if doomed:
        store.conn.execute(
            f"DELETE FROM messages WHERE id IN ({','.join('?' * len(doomed))})",
            [row[0] for row in doomed],
        )
        for row in doomed:
            store.bump(queue.id, row[1], -1)


def _expired(source: tuple[str, str]) -> tuple[str, SqsError]:
    """The failed entry of an expired FIFO handle; raised at once for a single DeleteMessage."""
    entry_id, handle = source
    refusal = validation.invalid_value("ReceiptHandle", handle, "The receipt handle has expired.")
    if not entry_id:
        raise refusal
    return entry_id, refusal


def _delete_fifo(store: SqsStore, queue: Queue, wanted: dict[int, str]) -> list[int]:
    """Delete FIFO messages in flight under the handle's receive (inside a transaction); return
    the seqs whose handle expired. An already deleted message is no error."""
    store.maintain(queue)
    marks = ",".join("?" * len(wanted))
    rows = store.conn.execute(
        f"SELECT id, state, group_id, receipt, queue_id FROM messages WHERE id IN ({marks})",
        tuple(wanted),
    ).fetchall()
    expired: list[int] = []
    for seq, state, group_id, receipt, queue_id in rows:
        if queue_id != queue.id:
            continue
        if state != IN_FLIGHT or receipt != wanted[seq]:
            expired.append(seq)
            continue
        remove(store, queue, seq, state, group_id)
    return expired


def change_visibility(store: SqsStore, queue: Queue, handle: str, timeout_s: int) -> None:
    """Set a received message's remaining invisibility (0 makes it visible now)."""
    validation.int_range("VisibilityTimeout", timeout_s, 0, validation.MAX_VISIBILITY_S)
    seq, nonce = parse_receipt(queue, handle)
    store.maintain(queue)
    row = store.conn.execute(
        "SELECT state, group_id, receipt, received_s FROM messages WHERE id=? AND +queue_id=?",
        (seq, queue.id),
    ).fetchone()
    # A standard queue accepts an older handle of a message received again, and a handle whose
    # visibility has ended (the message goes back in flight); a FIFO queue only the current
    # handle of a message in flight.
    if row is None or (queue.fifo and row[2] != nonce):
        raise validation.invalid_value(
            "ReceiptHandle",
            handle,
            "Message does not exist or is not available for visibility timeout change.",
        )
    if row[0] != IN_FLIGHT and (queue.fifo or row[0] != VISIBLE):
        raise sqs_error("MessageNotInflight", "The message referred to isn't in flight.")
    now = store.now()
    if now + timeout_s - float(row[3]) > validation.MAX_VISIBILITY_S:
        raise validation.invalid_value(
            "VisibilityTimeout",
            timeout_s,
            f"Total VisibilityTimeout for the message is beyond the limit "
            f"[{validation.MAX_VISIBILITY_S} seconds]",
        )
    if row[0] == VISIBLE:
        _hide_again(store, queue, seq, now, timeout_s)
        return
    _set_visibility(store, queue, seq, row[1], now, timeout_s)


def _hide_again(store: SqsStore, queue: Queue, seq: int, now: float, timeout_s: int) -> None:
    """A standard queue's message whose visibility ended, changed through its last handle: it
    goes back in flight for `timeout_s` (0 leaves it visible)."""
    if timeout_s == 0:
        return
    store.conn.execute(
        "UPDATE messages SET state=?, visible_at=? WHERE id=?", (IN_FLIGHT, now + timeout_s, seq)
    )
    store.bump(queue.id, VISIBLE, -1)
    store.bump(queue.id, IN_FLIGHT, 1)
    store.note_deadline(queue, now + timeout_s)


def _set_visibility(
    store: SqsStore, queue: Queue, seq: int, group_id: str | None, now: float, timeout_s: int
) -> None:
    if timeout_s == 0:
        # Visible again, in its original place: before messages sent after it (as in SQS).
        store.conn.execute(
            "UPDATE messages SET state=?, visible_at=sent_s WHERE id=?", (VISIBLE, seq)
        )
        store.bump(queue.id, IN_FLIGHT, -1)
        store.bump(queue.id, VISIBLE, 1)
        if queue.fifo and group_id is not None:
            fifo.became_visible(store, queue, group_id, seq)
        # A FIFO group released may expose more than this one message: wake every waiter.
        store.wake(queue.id, None if queue.fifo else 1)
        return
    store.conn.execute("UPDATE messages SET visible_at=? WHERE id=?", (now + timeout_s, seq))
    store.note_deadline(queue, now + timeout_s)
