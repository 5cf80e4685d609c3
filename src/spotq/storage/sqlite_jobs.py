"""Job records in SQLite (WAL, shared by the job API and every worker process on one machine).

Transitions are single conditional UPDATEs, so a late or repeated update cannot move a job
backwards: `running` and `queued` only apply to live jobs; `failed`/`dead` only to live jobs;
`succeeded` applies to any job not already succeeded (a stored result is the truth, even if a
slower attempt was counted dead meanwhile); only `requeue` (a DLQ redrive) revives a finished job.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from spotq.errors import StorageError
from spotq.jobs import JobRecord, JobState, Priority
from spotq.storage import sqlite_tx
from spotq.storage.base import check_page
from spotq.storage.batch_ops import Progress
from spotq.storage.errors import storage_error
from spotq.storage.private import private_dir, private_file
from spotq.storage.sqlite_busy import retry_busy

# One index over state: every query filters by app (a job API serves one app), and each state
# index moves an entry on every transition, twice per job. `jobs_state` (state without app) was
# dropped for that; it cost about a third of a worker's per-job transaction.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    app TEXT NOT NULL,
    state TEXT NOT NULL,
    priority TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    submitted_at_s REAL NOT NULL,
    started_at_s REAL,
    finished_at_s REAL,
    last_error TEXT,
    input_ref TEXT,
    result_ref TEXT,
    filename TEXT,
    idempotency_key TEXT,
    result_inline BLOB
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency
    ON jobs (app, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_app_state ON jobs (app, state, submitted_at_s);
DROP INDEX IF EXISTS jobs_state;
"""

_COLUMNS = (
    "job_id, app, state, priority, attempts, submitted_at_s, started_at_s, finished_at_s, "
    "last_error, input_ref, result_ref, filename, idempotency_key"
)
_INSERT = (
    f"INSERT INTO jobs ({_COLUMNS}) VALUES ({', '.join('?' * len(_COLUMNS.split(',')))}) "
    "ON CONFLICT DO NOTHING"
)
_LIVE = "('queued', 'running')"
_RUNNING = (
    "UPDATE jobs SET state = 'running', attempts = ?, started_at_s = ? "
    f"WHERE job_id = ? AND state IN {_LIVE}"
)
_SUCCEEDED_REF = (
    "UPDATE jobs SET state = 'succeeded', result_ref = ?, result_inline = NULL, "
    "finished_at_s = ? WHERE job_id = ? AND state != 'succeeded'"
)
_SUCCEEDED_INLINE = (
    "UPDATE jobs SET state = 'succeeded', result_ref = NULL, result_inline = ?, "
    "finished_at_s = ? WHERE job_id = ? AND state != 'succeeded'"
)
T = TypeVar("T")


class SqliteJobStore:
    """The JobStore protocol on one SQLite file; safe across threads and processes."""

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._lock = threading.Lock()
        try:
            if self._path != ":memory:":
                db_path = Path(self._path).expanduser()
                private_file(private_dir(db_path.parent) / db_path.name)
            self._db = sqlite3.connect(
                self._path,
                timeout=0,  # busy waits are retry_busy's (spotq.storage.sqlite_busy)
                isolation_level=None,  # autocommit: each statement is its own transaction
                check_same_thread=False,
            )
            retry_busy(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
            # WAL + NORMAL: durable across process crashes, one fsync per checkpoint, not per write.
            self._db.execute("PRAGMA synchronous=NORMAL")
            retry_busy(lambda: self._db.executescript(_SCHEMA))
            columns = {row[1] for row in self._query_unlocked("PRAGMA table_info(jobs)", ())}
            if "result_inline" not in columns:  # a store made before results were kept inline
                retry_busy(
                    lambda: self._db.execute("ALTER TABLE jobs ADD COLUMN result_inline BLOB")
                )
        except (sqlite3.Error, OSError) as exc:
            raise storage_error(f"job store {self._path!r}", exc) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return retry_busy(lambda: self._db.execute(sql, params))
            except sqlite3.Error as exc:
                raise storage_error(f"job store {self._path!r}", exc) from None

    def _in_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` on the connection inside BEGIN IMMEDIATE ... COMMIT (rolled back if it
        raises); SQLite errors become StorageError."""

        def attempt() -> T:
            with sqlite_tx.transaction(self._db, "BEGIN IMMEDIATE"):
                return work(self._db)

        with self._lock:
            try:
                return retry_busy(attempt)
            except sqlite3.Error as exc:
                raise storage_error(f"job store {self._path!r}", exc) from None

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._query_unlocked(sql, params)
            except sqlite3.Error as exc:
                raise storage_error(f"job store {self._path!r}", exc) from None

    def _query_unlocked(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return retry_busy(lambda: self._db.execute(sql, params).fetchall())

    def create(self, record: JobRecord) -> tuple[JobRecord, bool]:
        return self.create_many([record])[0]

    def create_many(self, records: Sequence[JobRecord]) -> list[tuple[JobRecord, bool]]:
        """`create` for each record, in one transaction (one commit for a whole batch)."""

        def insert(db: sqlite3.Connection) -> list[bool]:
            return [db.execute(_INSERT, _to_row(record)).rowcount == 1 for record in records]

        created = self._in_transaction(insert)
        return [
            (record, True) if new else (self._existing(record), False)
            for record, new in zip(records, created, strict=True)
        ]

    def _existing(self, record: JobRecord) -> JobRecord:
        """The row an insert of `record` conflicted with (same idempotency key, or same id)."""
        existing = None
        if record.idempotency_key is not None:
            existing = self._one(
                "WHERE app = ? AND idempotency_key = ?", (record.app, record.idempotency_key)
            )
        existing = existing or self.get(record.job_id)
        if existing is None:  # pragma: no cover - a conflict implies a row
            raise StorageError(f"job {record.job_id!r}: insert conflicted but no row found")
        return existing

    def get(self, job_id: str) -> JobRecord | None:
        return self._one("WHERE job_id = ?", (job_id,))

    def _one(self, where: str, params: Sequence[Any]) -> JobRecord | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM jobs {where}", params)
        return _from_row(rows[0]) if rows else None

    def get_many(self, job_ids: Sequence[str]) -> dict[str, JobRecord]:
        if not job_ids:
            return {}
        marks = ", ".join("?" for _ in job_ids)
        rows = self._query(f"SELECT {_COLUMNS} FROM jobs WHERE job_id IN ({marks})", job_ids)
        return {row[0]: _from_row(row) for row in rows}

    def mark_running(self, job_id: str, attempt: int, now_s: float) -> None:
        self.mark_running_many([(job_id, attempt)], now_s)

    def mark_running_many(self, items: Sequence[tuple[str, int]], now_s: float) -> None:
        self.record_progress(Progress(now_s, running=items))

    def mark_succeeded(self, job_id: str, result_ref: str, now_s: float) -> None:
        self.mark_succeeded_many([(job_id, result_ref)], now_s)

    def mark_succeeded_many(self, items: Sequence[tuple[str, str]], now_s: float) -> None:
        self.record_progress(Progress(now_s, by_ref=[(j, ref, now_s) for j, ref in items]))

    def mark_succeeded_inline_many(self, items: Sequence[tuple[str, bytes]], now_s: float) -> None:
        self.record_progress(Progress(now_s, inline=[(j, data, now_s) for j, data in items]))

    def record_progress(self, progress: Progress) -> None:
        """Finished jobs and jobs about to run, in one transaction (one commit where a worker
        with prefetched messages would otherwise make two per job)."""
        statements: list[tuple[str, list[tuple[Any, ...]]]] = [
            (_SUCCEEDED_INLINE, [(data, at_s, job_id) for job_id, data, at_s in progress.inline]),
            (_SUCCEEDED_REF, [(ref, at_s, job_id) for job_id, ref, at_s in progress.by_ref]),
            (_RUNNING, [(n, progress.now_s, job_id) for job_id, n in progress.running]),
        ]

        def work(db: sqlite3.Connection) -> None:
            for sql, rows in statements:
                if rows:
                    db.executemany(sql, rows)

        if progress:
            self._in_transaction(work)

    def inline_result(self, job_id: str) -> bytes | None:
        rows = self._query("SELECT result_inline FROM jobs WHERE job_id = ?", (job_id,))
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else None

    def mark_error(self, job_id: str, error: str, state: JobState, now_s: float) -> None:
        if state not in (JobState.QUEUED, JobState.FAILED, JobState.DEAD):
            raise ValueError(f"mark_error: state must be queued, failed or dead, not {state}")
        finished = None if state is JobState.QUEUED else now_s
        self._exec(
            "UPDATE jobs SET state = ?, last_error = ?, finished_at_s = ? "
            f"WHERE job_id = ? AND state IN {_LIVE}",
            (state.value, error, finished, job_id),
        )

    def requeue(self, job_id: str) -> None:
        self._exec(
            "UPDATE jobs SET state = 'queued', attempts = 0, finished_at_s = NULL "
            "WHERE job_id = ? AND state IN ('dead', 'failed')",
            (job_id,),
        )

    def list(
        self,
        *,
        app: str | None = None,
        states: Sequence[JobState] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[JobRecord]:
        check_page(limit, offset)
        where, params = _filters(app, states)
        rows = self._query(
            f"SELECT {_COLUMNS} FROM jobs {where} ORDER BY submitted_at_s, job_id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_from_row(row) for row in rows]

    def count_by_state(self, app: str | None = None) -> dict[JobState, int]:
        where, params = _filters(app, None)
        rows = self._query(f"SELECT state, COUNT(*) FROM jobs {where} GROUP BY state", params)
        counts = dict.fromkeys(JobState, 0)
        for state, count in rows:
            counts[JobState(state)] = int(count)
        return counts


def _filters(app: str | None, states: Sequence[JobState] | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if app is not None:
        clauses.append("app = ?")
        params.append(app)
    if states is not None:
        if not states:
            return "WHERE 0", []
        clauses.append(f"state IN ({', '.join('?' for _ in states)})")
        params.extend(JobState(state).value for state in states)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def _to_row(record: JobRecord) -> tuple[Any, ...]:
    return (
        record.job_id,
        record.app,
        JobState(record.state).value,
        Priority(record.priority).value,
        record.attempts,
        record.submitted_at_s,
        record.started_at_s,
        record.finished_at_s,
        record.last_error,
        record.input_ref,
        record.result_ref,
        record.filename,
        record.idempotency_key,
    )


def _from_row(row: tuple[Any, ...]) -> JobRecord:
    return JobRecord(
        job_id=row[0],
        app=row[1],
        state=JobState(row[2]),
        priority=Priority(row[3]),
        attempts=int(row[4]),
        submitted_at_s=float(row[5]),
        started_at_s=row[6],
        finished_at_s=row[7],
        last_error=row[8],
        input_ref=row[9],
        result_ref=row[10],
        filename=row[11],
        idempotency_key=row[12],
    )
