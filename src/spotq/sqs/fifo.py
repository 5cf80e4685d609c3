"""FIFO bookkeeping: message groups (head message, in-flight count) and deduplication ids.

A group row holds its head (lowest-sequence) message and how many of its messages are in flight;
the index on (queue, inflight, head) lets a receive find ready groups in order without scanning.
"""

from __future__ import annotations

import sqlite3

from spotq.sqs.schema import IN_FLIGHT, VISIBLE
from spotq.sqs.store import Queue, SqsStore

# How many ready groups one receive looks at before giving up (groups whose head is delayed).
MAX_GROUPS_SCANNED = 200


def group_add(store: SqsStore, queue: Queue, group_id: str, seq: int) -> None:
    store.conn.execute(
        "INSERT INTO fifo_groups (queue_id, group_id, head_id) VALUES (?,?,?) "
        "ON CONFLICT (queue_id, group_id) DO UPDATE SET head_id=MIN(head_id, excluded.head_id)",
        (queue.id, group_id, seq),
    )


def group_remove(store: SqsStore, queue: Queue, group_id: str, seq: int, *, inflight: bool) -> None:
    """A message left the group: move the head on, drop the group when it is empty."""
    conn = store.conn
    if inflight:
        group_inflight(store, queue, group_id, -1)
    row = conn.execute(
        "SELECT head_id FROM fifo_groups WHERE queue_id=? AND group_id=?", (queue.id, group_id)
    ).fetchone()
    if row is None or row[0] != seq:
        return
    nxt = conn.execute(
        "SELECT id FROM messages WHERE queue_id=? AND group_id=? ORDER BY id LIMIT 1",
        (queue.id, group_id),
    ).fetchone()
    if nxt is None:
        conn.execute(
            "DELETE FROM fifo_groups WHERE queue_id=? AND group_id=?", (queue.id, group_id)
        )
    else:
        conn.execute(
            "UPDATE fifo_groups SET head_id=? WHERE queue_id=? AND group_id=?",
            (nxt[0], queue.id, group_id),
        )


def group_inflight(store: SqsStore, queue: Queue, group_id: str, delta: int) -> None:
    store.conn.execute(
        "UPDATE fifo_groups SET inflight=inflight+? WHERE queue_id=? AND group_id=?",
        (delta, queue.id, group_id),
    )


def release_expired(store: SqsStore, queue: Queue, now: float) -> None:
    """In-flight messages whose visibility timeout ended become visible; their groups unblock."""
    rows = store.conn.execute(
        "SELECT id, group_id FROM messages WHERE queue_id=? AND state=? AND visible_at<=?",
        (queue.id, IN_FLIGHT, now),
    ).fetchall()
    for seq, group_id in rows:
        store.conn.execute("UPDATE messages SET state=? WHERE id=?", (VISIBLE, seq))
        if group_id is not None:
            group_inflight(store, queue, group_id, -1)
    if rows:
        store.bump(queue.id, IN_FLIGHT, -len(rows))
        store.bump(queue.id, VISIBLE, len(rows))
        store.wake(queue.id)


def pick(store: SqsStore, queue: Queue, limit: int, columns: str) -> list[sqlite3.Row]:
    """Up to `limit` receivable messages: whole runs from the oldest ready groups, in order."""
    conn = store.conn
    picked: list[sqlite3.Row] = []
    after = -1
    scanned = 0
    while len(picked) < limit and scanned < MAX_GROUPS_SCANNED:
        groups = conn.execute(
            "SELECT group_id, head_id FROM fifo_groups WHERE queue_id=? AND inflight=0 "
            "AND head_id>? ORDER BY head_id LIMIT 10",
            (queue.id, after),
        ).fetchall()
        if not groups:
            break
        for group_id, head_id in groups:
            scanned += 1
            after = head_id
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
