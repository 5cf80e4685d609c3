"""Pending enqueues, made durable so that a job whose message never reached the queue is sent later.

Submitting a job writes, in order: an outbox entry (job id, queue, body), the job record, the queue
message, then deletes the outbox entry. A crash or a failed send between those steps leaves an entry
that `due()` returns after `reconcile_after_s`; the reconciler sends it if its record exists and
has not started, or drops it if no record was ever written. A crash between the send and the
delete can enqueue a job twice; workers are idempotent per job id, so that costs work, never a
second result.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from spotq.storage import sqlite_tx
from spotq.storage.errors import storage_error
from spotq.storage.private import private_dir, private_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    job_id TEXT PRIMARY KEY,
    high INTEGER NOT NULL,
    body TEXT NOT NULL,
    added_s REAL NOT NULL
)
"""
T = TypeVar("T")


@dataclass(frozen=True)
class Pending:
    job_id: str
    high: bool
    body: str
    added_s: float


class Outbox:
    """A small SQLite table of messages recorded but not yet known to be enqueued."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        try:
            private_file(private_dir(path.parent) / path.name)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise storage_error(f"outbox {str(path)!r}", exc) from None

    def _run(self, work: Callable[[sqlite3.Connection], T], transaction: bool = True) -> T:
        """`work` under the lock (in one transaction); SQLite errors become StorageError
        (StorageFull for a full disk), and a failed transaction never stays open."""
        with self._lock:
            try:
                if not transaction:
                    return work(self._db)
                with sqlite_tx.transaction(self._db):
                    return work(self._db)
            except sqlite3.Error as exc:
                raise storage_error(f"outbox {str(self._path)!r}", exc) from None

    def add(self, entries: Iterable[Pending]) -> None:
        rows = [(e.job_id, int(e.high), e.body, e.added_s) for e in entries]
        self._run(
            lambda db: db.executemany("INSERT OR REPLACE INTO outbox VALUES (?, ?, ?, ?)", rows)
        )

    def remove(self, job_ids: Iterable[str]) -> None:
        rows = [(job_id,) for job_id in job_ids]
        self._run(lambda db: db.executemany("DELETE FROM outbox WHERE job_id = ?", rows))

    def due(self, older_than_s: float, limit: int = 500) -> list[Pending]:
        """Entries added before `older_than_s` (epoch seconds), oldest first."""
        rows = self._run(
            lambda db: db.execute(
                "SELECT job_id, high, body, added_s FROM outbox WHERE added_s < ? "
                "ORDER BY added_s LIMIT ?",
                (older_than_s, limit),
            ).fetchall(),
            transaction=False,
        )
        return [Pending(r[0], bool(r[1]), r[2], r[3]) for r in rows]

    def __len__(self) -> int:
        rows = self._run(
            lambda db: db.execute("SELECT COUNT(*) FROM outbox").fetchall(), transaction=False
        )
        return int(rows[0][0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
