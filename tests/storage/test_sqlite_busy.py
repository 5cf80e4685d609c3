"""Short busy waits (spotq.storage.sqlite_busy) against a real second connection holding
SQLite's write lock: a transaction waits for it and then commits, a read is not blocked at all in
WAL mode, and a lock never released ends in a clear StorageError at the deadline."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from spotq.errors import StorageError
from spotq.jobs import JobRecord, JobState
from spotq.storage import sqlite_busy
from spotq.storage.sqlite_jobs import SqliteJobStore


def _holder(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # the write lock, as another process's transaction holds it
    return other


def test_a_transaction_waits_for_the_lock_in_short_steps(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    store = SqliteJobStore(path)
    other = _holder(path)
    threading.Timer(0.05, lambda: other.execute("COMMIT")).start()
    started = time.monotonic()
    store.create(JobRecord("a", "echo", JobState.QUEUED))
    waited_s = time.monotonic() - started
    assert store.get("a") is not None
    assert 0.04 <= waited_s < 5.0
    assert store.count_by_state("echo")[JobState.QUEUED] == 1  # reads never waited


def test_a_lock_never_released_is_a_storage_error_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "jobs.db"
    store = SqliteJobStore(path)
    store.create(JobRecord("a", "echo", JobState.QUEUED))
    other = _holder(path)
    monkeypatch.setattr(sqlite_busy, "BUSY_TIMEOUT_S", 0.2)
    started = time.monotonic()
    with pytest.raises(StorageError, match="locked"):
        store.mark_running("a", 1, now_s=1.0)
    assert 0.15 <= time.monotonic() - started < 5.0
    assert store.get("a") is not None  # reads still work while the write lock is held
    other.execute("ROLLBACK")


def test_other_errors_are_not_retried() -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise sqlite3.OperationalError("no such table: nope")

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        sqlite_busy.retry_busy(broken)
    assert calls == [1]
