"""JobStore contract: the same tests against SQLite (local) and DynamoDB on moto server."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from spotq.errors import ConfigError
from spotq.jobs import JobRecord, JobState
from spotq.storage.base import JobStore

NOW_S = 1_700_000_000.0


@pytest.fixture(params=["sqlite", "dynamodb"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    table: str = request.getfixturevalue("dynamo_table")
    return f"dynamodb://{table}"


@pytest.fixture
def open_store(store_url: str) -> Callable[[], JobStore]:
    """Opens a store on the fixture's backend; each call is a new connection/client."""
    from spotq.storage.factory import open_job_store

    return lambda: open_job_store(store_url)


@pytest.fixture
def store(open_store: Callable[[], JobStore]) -> JobStore:
    return open_store()


def job(app: str = "demo", offset_s: float = 0.0, **fields: Any) -> JobRecord:
    return JobRecord(
        job_id=fields.pop("job_id", uuid.uuid4().hex),
        app=app,
        state=JobState.QUEUED,
        submitted_at_s=NOW_S + offset_s,
        **fields,
    )


def test_create_then_get_round_trips_every_field(store: JobStore) -> None:
    record = job(input_ref="inputs/x", filename="talk.wav", idempotency_key="k-1")
    created, is_new = store.create(record)
    assert is_new and created == record
    assert store.get(record.job_id) == record
    assert store.get("no-such-job") is None


def test_idempotency_key_returns_the_first_job(store: JobStore) -> None:
    first, new1 = store.create(job(idempotency_key="same"))
    second, new2 = store.create(job(idempotency_key="same"))
    assert (new1, new2) == (True, False)
    assert second.job_id == first.job_id
    assert [r.job_id for r in store.list(app="demo")] == [first.job_id]


def test_concurrent_creates_with_one_key_make_one_job(
    store: JobStore, open_store: Callable[[], JobStore]
) -> None:
    results: list[tuple[JobRecord, bool]] = []
    barrier = threading.Barrier(4)

    def create() -> None:
        mine = open_store()
        barrier.wait()
        results.append(mine.create(job(idempotency_key="race")))

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(is_new for _, is_new in results) == 1
    assert len({record.job_id for record, _ in results}) == 1
    assert len(store.list(app="demo")) == 1


def test_success_path_records_times_attempts_and_result(store: JobStore) -> None:
    record, _ = store.create(job())
    store.mark_running(record.job_id, attempt=1, now_s=NOW_S + 1)
    running = store.get(record.job_id)
    assert running is not None
    assert (running.state, running.attempts, running.started_at_s) == (
        JobState.RUNNING,
        1,
        NOW_S + 1,
    )
    store.mark_succeeded(record.job_id, "results/x.json", now_s=NOW_S + 2)
    done = store.get(record.job_id)
    assert done is not None
    assert (done.state, done.result_ref, done.finished_at_s) == (
        JobState.SUCCEEDED,
        "results/x.json",
        NOW_S + 2,
    )


def test_late_updates_never_move_a_finished_job_backwards(store: JobStore) -> None:
    record, _ = store.create(job())
    store.mark_running(record.job_id, attempt=1, now_s=NOW_S + 1)
    store.mark_succeeded(record.job_id, "results/x.json", now_s=NOW_S + 2)
    store.mark_running(record.job_id, attempt=2, now_s=NOW_S + 3)
    store.mark_error(record.job_id, "late", JobState.QUEUED, now_s=NOW_S + 4)
    store.mark_error(record.job_id, "late", JobState.DEAD, now_s=NOW_S + 5)
    final = store.get(record.job_id)
    assert final is not None
    assert (final.state, final.finished_at_s, final.last_error) == (
        JobState.SUCCEEDED,
        NOW_S + 2,
        None,
    )


def test_retry_then_dead_then_requeue(store: JobStore) -> None:
    record, _ = store.create(job())
    store.mark_running(record.job_id, attempt=1, now_s=NOW_S + 1)
    store.mark_error(record.job_id, "boom 1", JobState.QUEUED, now_s=NOW_S + 2)
    retrying = store.get(record.job_id)
    assert retrying is not None
    assert (retrying.state, retrying.last_error) == (JobState.QUEUED, "boom 1")
    store.mark_running(record.job_id, attempt=2, now_s=NOW_S + 3)
    store.mark_error(record.job_id, "boom 2", JobState.DEAD, now_s=NOW_S + 4)
    dead = store.get(record.job_id)
    assert dead is not None
    assert (dead.state, dead.attempts, dead.finished_at_s) == (JobState.DEAD, 2, NOW_S + 4)
    store.requeue(record.job_id)
    again = store.get(record.job_id)
    assert again is not None and again.state == JobState.QUEUED
    store.mark_running(record.job_id, attempt=1, now_s=NOW_S + 5)
    rerun = store.get(record.job_id)
    assert rerun is not None and rerun.state == JobState.RUNNING


def test_failed_is_terminal_for_errors_but_a_late_result_still_wins(store: JobStore) -> None:
    record, _ = store.create(job())
    store.mark_running(record.job_id, attempt=1, now_s=NOW_S + 1)
    store.mark_error(record.job_id, "bad input", JobState.FAILED, now_s=NOW_S + 2)
    store.mark_running(record.job_id, attempt=2, now_s=NOW_S + 3)
    store.mark_error(record.job_id, "later", JobState.QUEUED, now_s=NOW_S + 3)
    failed = store.get(record.job_id)
    assert failed is not None
    assert (failed.state, failed.last_error, failed.attempts) == (JobState.FAILED, "bad input", 1)
    store.mark_succeeded(record.job_id, "results/late.json", now_s=NOW_S + 4)
    store.mark_succeeded(record.job_id, "results/again.json", now_s=NOW_S + 5)
    done = store.get(record.job_id)
    assert done is not None
    assert (done.state, done.result_ref, done.finished_at_s) == (
        JobState.SUCCEEDED,
        "results/late.json",
        NOW_S + 4,
    )


def test_list_breaks_time_ties_by_job_id(store: JobStore) -> None:
    ids = sorted(store.create(job(job_id=f"tie-{i}"))[0].job_id for i in (3, 1, 4, 0, 2))
    assert [r.job_id for r in store.list(app="demo", limit=2)] == ids[:2]
    assert [r.job_id for r in store.list(app="demo", limit=2, offset=2)] == ids[2:4]


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (1001, 0), (10, -1)])
def test_list_rejects_bad_paging(store: JobStore, limit: int, offset: int) -> None:
    with pytest.raises(ConfigError):
        store.list(limit=limit, offset=offset)


def test_list_filters_by_app_and_state_in_submission_order(store: JobStore) -> None:
    ids = [store.create(job(offset_s=i))[0].job_id for i in range(5)]
    other, _ = store.create(job(app="other", offset_s=10))
    store.mark_running(ids[1], attempt=1, now_s=NOW_S)
    store.mark_succeeded(ids[3], "results/3.json", now_s=NOW_S)
    assert [r.job_id for r in store.list(app="demo")] == ids
    queued = store.list(app="demo", states=[JobState.QUEUED])
    assert [r.job_id for r in queued] == [ids[0], ids[2], ids[4]]
    mixed = store.list(app="demo", states=[JobState.RUNNING, JobState.SUCCEEDED])
    assert [r.job_id for r in mixed] == [ids[1], ids[3]]
    assert [r.job_id for r in store.list(app="demo", limit=2, offset=1)] == ids[1:3]
    assert [r.job_id for r in store.list()] == [*ids, other.job_id]
    assert store.list(app="nobody") == []


def test_count_by_state(store: JobStore) -> None:
    ids = [store.create(job(offset_s=i))[0].job_id for i in range(4)]
    store.create(job(app="other"))
    store.mark_running(ids[0], attempt=1, now_s=NOW_S)
    store.mark_error(ids[1], "x", JobState.DEAD, now_s=NOW_S)
    counts = store.count_by_state("demo")
    assert counts[JobState.QUEUED] == 2
    assert counts[JobState.RUNNING] == 1
    assert counts[JobState.DEAD] == 1
    assert counts.get(JobState.SUCCEEDED, 0) == 0
    assert sum(store.count_by_state().values()) == 5
