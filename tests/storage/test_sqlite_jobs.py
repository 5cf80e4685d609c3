import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from spotq.errors import ConfigError
from spotq.jobs import JobRecord, JobState, Priority
from spotq.storage.sqlite_jobs import SqliteJobStore


def _record(job_id: str, **fields: object) -> JobRecord:
    base: dict[str, object] = {"app": "echo", "state": JobState.QUEUED, "submitted_at_s": 1.0}
    base.update(fields)
    return JobRecord(job_id=job_id, **base)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> SqliteJobStore:
    return SqliteJobStore(tmp_path / "db" / "jobs.db")


def test_create_and_get_roundtrip(store: SqliteJobStore) -> None:
    record = _record("j1", priority=Priority.HIGH, input_ref="inputs/j1", filename="a b.wav")
    assert store.create(record) == (record, True)
    assert store.get("j1") == record
    assert store.get("nope") is None


def test_idempotency_key_returns_the_first_job(store: SqliteJobStore) -> None:
    _first, created = store.create(_record("j1", idempotency_key="k"))
    again, created_again = store.create(_record("j2", idempotency_key="k"))
    assert created and not created_again
    assert again.job_id == "j1" and store.get("j2") is None
    # keys are per app
    other, created_other = store.create(_record("j3", app="other", idempotency_key="k"))
    assert created_other and other.job_id == "j3"


def test_same_job_id_twice_is_not_a_second_job(store: SqliteJobStore) -> None:
    store.create(_record("j1"))
    existing, created = store.create(_record("j1", app="echo", submitted_at_s=9.0))
    assert not created and existing.submitted_at_s == 1.0


def test_lifecycle_running_error_success(store: SqliteJobStore) -> None:
    store.create(_record("j1"))
    store.mark_running("j1", attempt=1, now_s=10.0)
    store.mark_error("j1", "boom", JobState.QUEUED, now_s=11.0)
    record = store.get("j1")
    assert record is not None
    assert (record.state, record.attempts, record.last_error) == (JobState.QUEUED, 1, "boom")
    assert record.finished_at_s is None
    store.mark_running("j1", attempt=2, now_s=12.0)
    store.mark_succeeded("j1", "results/j1.json", now_s=13.0)
    record = store.get("j1")
    assert record is not None
    assert (record.state, record.attempts, record.started_at_s) == (JobState.SUCCEEDED, 2, 12.0)
    assert (record.result_ref, record.finished_at_s) == ("results/j1.json", 13.0)


def test_late_updates_never_move_a_finished_job_backwards(store: SqliteJobStore) -> None:
    store.create(_record("j1"))
    store.mark_succeeded("j1", "results/j1.json", now_s=5.0)
    store.mark_running("j1", attempt=3, now_s=6.0)
    store.mark_error("j1", "late failure", JobState.QUEUED, now_s=7.0)
    store.mark_error("j1", "late failure", JobState.DEAD, now_s=7.0)
    store.mark_succeeded("j1", "results/j1.json", now_s=8.0)  # a repeat keeps the first time
    record = store.get("j1")
    assert record is not None
    assert (record.state, record.attempts, record.last_error) == (JobState.SUCCEEDED, 0, None)
    assert record.finished_at_s == 5.0


def test_dead_stays_dead_until_requeued(store: SqliteJobStore) -> None:
    store.create(_record("j1"))
    store.mark_running("j1", attempt=3, now_s=1.0)
    store.mark_error("j1", "boom", JobState.DEAD, now_s=2.0)
    store.mark_running("j1", attempt=4, now_s=3.0)
    store.mark_error("j1", "other", JobState.QUEUED, now_s=3.0)
    record = store.get("j1")
    assert record is not None and record.state is JobState.DEAD and record.last_error == "boom"
    store.requeue("j1")
    record = store.get("j1")
    assert record is not None and record.state is JobState.QUEUED and record.finished_at_s is None
    store.mark_succeeded("j1", "results/j1.json", now_s=4.0)
    store.requeue("j1")  # a succeeded job is never requeued
    record = store.get("j1")
    assert record is not None and record.state is JobState.SUCCEEDED


def test_mark_error_refuses_non_error_states(store: SqliteJobStore) -> None:
    with pytest.raises(ValueError, match="queued, failed or dead"):
        store.mark_error("j1", "x", JobState.SUCCEEDED, now_s=1.0)


def test_list_filters_order_and_paging(store: SqliteJobStore) -> None:
    for n in range(6):
        store.create(_record(f"j{n}", app="a" if n % 2 else "b", submitted_at_s=float(10 - n)))
    store.mark_error("j1", "x", JobState.FAILED, now_s=1.0)
    assert [r.job_id for r in store.list()] == ["j5", "j4", "j3", "j2", "j1", "j0"]
    assert [r.job_id for r in store.list(app="a")] == ["j5", "j3", "j1"]
    assert [r.job_id for r in store.list(app="a", states=[JobState.FAILED])] == ["j1"]
    assert [r.job_id for r in store.list(limit=2, offset=1)] == ["j4", "j3"]
    assert store.list(states=[]) == []
    counts = store.count_by_state(app="a")
    assert counts[JobState.QUEUED] == 2 and counts[JobState.FAILED] == 1
    assert counts[JobState.DEAD] == 0
    assert sum(store.count_by_state().values()) == 6


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (1001, 0), (10, -1)])
def test_bad_paging_is_a_config_error(store: SqliteJobStore, limit: int, offset: int) -> None:
    with pytest.raises(ConfigError):
        store.list(limit=limit, offset=offset)


def test_uses_wal_and_indexes(store: SqliteJobStore, tmp_path: Path) -> None:
    import sqlite3

    db = sqlite3.connect(tmp_path / "db" / "jobs.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM jobs WHERE app='a' AND state='queued' "
        "ORDER BY submitted_at_s"
    ).fetchall()
    assert "jobs_app_state" in str(plan)
    indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "jobs_state" not in indexes


def test_a_store_made_with_the_old_state_index_loses_it(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    SqliteJobStore(path).close()
    db = sqlite3.connect(path)
    db.execute("CREATE INDEX jobs_state ON jobs (state, submitted_at_s)")
    db.commit()
    db.close()
    store = SqliteJobStore(path)
    store.create(_record("a"))
    assert store.count_by_state("echo")[JobState.QUEUED] == 1
    db = sqlite3.connect(path)
    assert db.execute("SELECT name FROM sqlite_master WHERE name = 'jobs_state'").fetchall() == []


def _create_many(path: str, prefix: str) -> None:
    store = SqliteJobStore(path)
    for n in range(100):
        store.create(_record(f"{prefix}{n}", idempotency_key=f"k{n}"))


def test_concurrent_processes_share_one_idempotency_index(tmp_path: Path) -> None:
    path = str(tmp_path / "jobs.db")
    SqliteJobStore(path)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_create_many, args=(path, p)) for p in ("a", "b")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    records = SqliteJobStore(path).list(limit=1000)
    assert len(records) == 100  # one job per key, whichever process won it


def test_inline_results_keep_the_first_success(store: SqliteJobStore) -> None:
    store.create(_record("a"))
    store.create(_record("b"))
    store.mark_succeeded_inline_many([("a", b'{"v": 1}')], now_s=2.0)
    store.mark_succeeded_inline_many([("a", b'{"v": 2}'), ("b", b"[]")], now_s=3.0)
    store.mark_succeeded("a", "results/a.json", now_s=4.0)  # a late blob result: ignored too
    done = store.get("a")
    assert done is not None and (done.state, done.result_ref, done.finished_at_s) == (
        JobState.SUCCEEDED,
        None,
        2.0,
    )
    assert store.inline_result("a") == b'{"v": 1}'
    assert store.inline_result("b") == b"[]"
    assert store.inline_result("missing") is None


def test_a_store_made_before_inline_results_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE jobs (job_id TEXT PRIMARY KEY, app TEXT NOT NULL, state TEXT NOT NULL, "
        "priority TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, "
        "submitted_at_s REAL NOT NULL, started_at_s REAL, finished_at_s REAL, last_error TEXT, "
        "input_ref TEXT, result_ref TEXT, filename TEXT, idempotency_key TEXT)"
    )
    old.execute(
        "INSERT INTO jobs VALUES ('old', 'echo', 'succeeded', 'normal', 1, 1.0, 1.5, 2.0, "
        "NULL, NULL, 'results/old.json', NULL, NULL)"
    )
    old.commit()
    old.close()
    store = SqliteJobStore(path)
    record = store.get("old")
    assert record is not None and record.result_ref == "results/old.json"
    assert store.inline_result("old") is None
    store.create(_record("new"))
    store.mark_succeeded_inline_many([("new", b"{}")], now_s=3.0)
    assert store.inline_result("new") == b"{}"
