"""The SQLite schema of the queue store and how a connection to it is opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from spotq.errors import StorageError

# Message states. Time-driven transitions (delay or visibility timeout ending) are applied lazily
# by the store before it reads a queue, so the per-state counters in `queues` stay exact.
DELAYED = 0
IN_FLIGHT = 1
VISIBLE = 2

SYNC_MODES = ("full", "normal", "off")

_DDL = """
CREATE TABLE IF NOT EXISTS queues (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    fifo INTEGER NOT NULL,
    attrs TEXT NOT NULL,
    tags TEXT NOT NULL,
    created_s REAL NOT NULL,
    modified_s REAL NOT NULL,
    purged_s REAL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    queue_id INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    body TEXT NOT NULL,
    attrs TEXT,
    md5_body TEXT NOT NULL,
    md5_attrs TEXT,
    trace_header TEXT,
    md5_sys TEXT,
    group_id TEXT,
    dedup_id TEXT,
    sender_id TEXT NOT NULL,
    sent_s REAL NOT NULL,
    state INTEGER NOT NULL,
    visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    -- Same-size placeholders until the first receive, so that a receive rewrites a row without
    -- growing it: a growing row makes SQLite rebalance the hot rightmost pages (2x commit).
    -- '-' is never in a receipt nonce (hex), so no handle matches an unreceived message.
    first_receive_s REAL NOT NULL DEFAULT 0.5,
    received_s REAL NOT NULL DEFAULT 0.5,
    receipt TEXT NOT NULL DEFAULT '----------------',
    dlq_source_arn TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_state ON messages(queue_id, state, visible_at);
CREATE INDEX IF NOT EXISTS messages_by_age ON messages(queue_id, sent_s);
CREATE INDEX IF NOT EXISTS messages_by_group ON messages(queue_id, group_id, id)
    WHERE group_id IS NOT NULL;
-- One row per FIFO group: its head (lowest-sequence) message, whether that head is not visible
-- (the group is then held back) and the group's turn among ready groups (see fifo.py).
CREATE TABLE IF NOT EXISTS fifo_heads (
    queue_id INTEGER NOT NULL,
    group_id TEXT NOT NULL,
    head_id INTEGER NOT NULL,
    blocked INTEGER NOT NULL,
    ready_key INTEGER NOT NULL,
    PRIMARY KEY (queue_id, group_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS fifo_heads_ready ON fifo_heads(queue_id, blocked, ready_key);
CREATE TABLE IF NOT EXISTS dedup (
    queue_id INTEGER NOT NULL,
    dedup_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    expires_s REAL NOT NULL,
    PRIMARY KEY (queue_id, dedup_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedup_by_expiry ON dedup(expires_s);
CREATE TABLE IF NOT EXISTS deleted_queues (
    name TEXT PRIMARY KEY,
    deleted_s REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS move_tasks (
    id INTEGER PRIMARY KEY,
    handle TEXT NOT NULL UNIQUE,
    source_arn TEXT NOT NULL,
    dest_arn TEXT,
    rate INTEGER,
    status TEXT NOT NULL,
    moved INTEGER NOT NULL DEFAULT 0,
    to_move INTEGER NOT NULL,
    max_id INTEGER NOT NULL,
    started_s REAL NOT NULL,
    progress_s REAL NOT NULL,
    failure TEXT
);
CREATE INDEX IF NOT EXISTS move_tasks_by_source ON move_tasks(source_arn, id);
"""


def connect(db_path: Path | None, sync: str) -> sqlite3.Connection:
    """Open (creating if needed) the store database; `None` keeps it in memory."""
    if sync not in SYNC_MODES:
        raise ValueError(f"sync must be one of {', '.join(SYNC_MODES)}, got {sync!r}")
    target = ":memory:" if db_path is None else str(db_path)
    conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False, timeout=1.0)
    conn.row_factory = sqlite3.Row
    try:
        _configure(conn, db_path is not None, sync)
    except sqlite3.OperationalError as exc:
        conn.close()
        raise StorageError(f"cannot open the queue store {db_path}: {exc}") from exc
    return conn


def _configure(conn: sqlite3.Connection, on_disk: bool, sync: str) -> None:
    if on_disk:
        # One server owns a data dir: an exclusive lock keeps the WAL index in process memory
        # (fewer syscalls per commit) and makes a second server on the same dir fail at once.
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("PRAGMA journal_mode=WAL")
        # A checkpoint (the WAL copied into the database file, with its fsyncs) runs inside the
        # request whose commit crosses the threshold. A busy queue rewrites the same few pages,
        # so checkpointing every 4,000 pages (~16 MiB) instead of SQLite's 1,000 makes a quarter
        # of the fsync stalls at a small cost to the rarer worst one (measured: mean cycle
        # -15 %, worst 13 -> 15-21 ms; 10,000 pages gave worst 50 ms). Durability is unchanged:
        # a commit is in the WAL either way. journal_size_limit trims an oversized WAL file.
        conn.execute("PRAGMA wal_autocheckpoint=4000")
        conn.execute("PRAGMA journal_size_limit=33554432")
    # NORMAL in WAL mode survives a process kill (the commit is in the WAL file before we reply);
    # FULL also survives power loss; OFF never syncs (a power loss can corrupt the file).
    conn.execute(f"PRAGMA synchronous={sync.upper()}")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA cache_size=-65536")
    upgrading = _has_table(conn, "fifo_groups")
    conn.executescript(_DDL)
    if upgrading:
        _upgrade_fifo_groups(conn)
    conn.execute("BEGIN IMMEDIATE")  # take the lock now, not on the first request
    conn.execute("COMMIT")


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,))
    return row.fetchone() is not None


def _upgrade_fifo_groups(conn: sqlite3.Connection) -> None:
    """A data dir from before fifo_heads: rebuild the group heads from the messages (each group's
    turn starts at its head's sequence) and drop the old table."""
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM fifo_heads")
    conn.execute(
        "INSERT INTO fifo_heads (queue_id, group_id, head_id, blocked, ready_key) "
        "SELECT m.queue_id, m.group_id, m.id, m.state<>?, m.id FROM messages m "
        "JOIN (SELECT queue_id, group_id, MIN(id) AS head FROM messages "
        "WHERE group_id IS NOT NULL GROUP BY queue_id, group_id) h ON m.id=h.head "
        "JOIN queues q ON q.id=m.queue_id WHERE q.fifo=1",
        (VISIBLE,),
    )
    conn.execute("DROP TABLE fifo_groups")
    conn.execute("COMMIT")
