"""FIFO bookkeeping: message groups (head message, whether it is receivable, turn order) and
deduplication ids.

AWS delivers a group's messages in order up to its first one that is not visible, so a group is
receivable exactly when its head (lowest-sequence) message is visible. A head row keeps that fact
(`blocked`) and the group's turn (`ready_key`): a group goes to the back of the line each time it
becomes receivable again, behind groups that were already waiting. The index on
(queue, blocked, ready_key) lets a receive find ready groups in turn without scanning.
"""

from __future__ import annotations

import sqlite3

from spotq.sqs.schema import VISIBLE
from spotq.sqs.store import Queue, SqsStore

# How many ready groups one receive looks at before giving up.
MAX_GROUPS_SCANNED = 200


def group_add(store: SqsStore, queue: Queue, group_id: str, seq: int, visible: bool) -> None:
    """A message joined its group; a new group is ready at once when the message is visible.
    An existing group keeps its head: sequence numbers only grow."""
    store.conn.execute(
        "INSERT INTO fifo_heads (queue_id, group_id, head_id, blocked, ready_key) "
        "VALUES (?,?,?,?,?) ON CONFLICT (queue_id, group_id) DO NOTHING",
        (queue.id, group_id, seq, 0 if visible else 1, store.next_ready_key()),
    )


def group_remove(store: SqsStore, queue: Queue, group_id: str, seq: int) -> None:
    """A message left the group: move the head on, drop the group when it is empty."""
    conn = store.conn
    row = conn.execute(
        "SELECT head_id, blocked FROM fifo_heads WHERE queue_id=? AND group_id=?",
        (queue.id, group_id),
    ).fetchone()
    if row is None or row[0] != seq:
        return
    nxt = conn.execute(
        "SELECT id, state FROM messages WHERE queue_id=? AND group_id=? ORDER BY id LIMIT 1",
        (queue.id, group_id),
    ).fetchone()
    if nxt is None:
        conn.execute("DELETE FROM fifo_heads WHERE queue_id=? AND group_id=?", (queue.id, group_id))
        return
    blocked = 0 if nxt[1] == VISIBLE else 1
    if row[1] and not blocked:  # ready again: behind the groups already waiting
        conn.execute(
            "UPDATE fifo_heads SET head_id=?, blocked=0, ready_key=? "
            "WHERE queue_id=? AND group_id=?",
            (nxt[0], store.next_ready_key(), queue.id, group_id),
        )
    else:
        conn.execute(
            "UPDATE fifo_heads SET head_id=?, blocked=? WHERE queue_id=? AND group_id=?",
            (nxt[0], blocked, queue.id, group_id),
        )


def became_visible(store: SqsStore, queue: Queue, group_id: str, seq: int) -> None:
    """Message `seq` of a group became visible: if it is the head, the group is ready again,
    and takes its turn behind the groups already waiting."""
    store.conn.execute(
        "UPDATE fifo_heads SET blocked=0, ready_key=? "
        "WHERE queue_id=? AND group_id=? AND head_id=? AND blocked=1",
        (store.next_ready_key(), queue.id, group_id, seq),
    )


def block(store: SqsStore, queue: Queue, group_ids: set[str]) -> None:
    """Groups whose head was just received: nothing more from them until it is visible again."""
    for group_id in group_ids:
        store.conn.execute(
            "UPDATE fifo_heads SET blocked=1 WHERE queue_id=? AND group_id=?",
            (queue.id, group_id),
        )


def release_due(store: SqsStore, queue: Queue, state: int, now: float) -> int:
    """Messages in `state` (delayed or in flight) whose time has come become visible; their
    groups unblock where they are the head. Returns how many moved."""
    rows = store.conn.execute(
        "SELECT id, group_id FROM messages WHERE queue_id=? AND state=? AND visible_at<=?",
        (queue.id, state, now),
    ).fetchall()
    for seq, group_id in rows:
        store.conn.execute("UPDATE messages SET state=? WHERE id=?", (VISIBLE, seq))
        if group_id is not None:
            became_visible(store, queue, group_id, seq)
    if rows:
        store.bump(queue.id, state, -len(rows))
        store.bump(queue.id, VISIBLE, len(rows))
        store.wake(queue.id)
    return len(rows)


def pick(store: SqsStore, queue: Queue, limit: int, columns: str) -> list[sqlite3.Row]:
    """Up to `limit` receivable messages: from ready groups in turn, each group's messages in
    order up to its first one that is not visible."""
    conn = store.conn
    picked: list[sqlite3.Row] = []
    after = -1
    scanned = 0
    while len(picked) < limit and scanned < MAX_GROUPS_SCANNED:
        groups = conn.execute(
            "SELECT group_id, ready_key FROM fifo_heads WHERE queue_id=? AND blocked=0 "
            "AND ready_key>? ORDER BY ready_key LIMIT 10",
            (queue.id, after),
        ).fetchall()
        if not groups:
            break
        for group_id, ready_key in groups:
            scanned += 1
            after = ready_key
            rows = conn.execute(
                f"SELECT {columns} FROM messages WHERE queue_id=? AND group_id=? "
                "ORDER BY id LIMIT ?",
                (queue.id, group_id, limit - len(picked)),
            ).fetchall()
            for row in rows:
                if row["state"] != VISIBLE:
                    break
                picked.append(row)
            if len(picked) >= limit:
                break
    return picked


def dedup_lookup(store: SqsStore, queue: Queue, key: str, now: float) -> tuple[str, int] | None:
    """(message id, sequence) of a send with this deduplication key inside the window."""
    row = store.conn.execute(
        "SELECT message_id, seq, expires_s FROM dedup WHERE queue_id=? AND dedup_key=?",
        (queue.id, key),
    ).fetchone()
    if row is None or row[2] <= now:
        return None
    return str(row[0]), int(row[1])


def dedup_record(
    store: SqsStore, queue: Queue, key: str, message_id: str, seq: int, expires_s: float
) -> None:
    store.conn.execute(
        "INSERT OR REPLACE INTO dedup (queue_id, dedup_key, message_id, seq, expires_s) "
        "VALUES (?,?,?,?,?)",
        (queue.id, key, message_id, seq, expires_s),
    )
