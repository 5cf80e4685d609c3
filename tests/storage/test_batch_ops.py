from pathlib import Path
from typing import Any

import pytest

from spotq.jobs import JobRecord, JobState
from spotq.storage.batch_ops import (
    BatchJobStore,
    Progress,
    create_many,
    get_many,
    mark_running_many,
    mark_succeeded_many,
    record_progress,
)
from spotq.storage.sqlite_jobs import SqliteJobStore


class SingleOnly:
    """A JobStore without the batch methods (as another backend may be)."""

    def __init__(self, inner: SqliteJobStore) -> None:
        self._inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if name.endswith("_many"):
            raise AttributeError(name)
        self.calls.append(name)
        return getattr(self._inner, name)


@pytest.mark.parametrize("batched", [True, False])
def test_batch_updates_match_single_updates(tmp_path: Path, batched: bool) -> None:
    inner = SqliteJobStore(tmp_path / "jobs.db")
    store: Any = inner if batched else SingleOnly(inner)
    assert isinstance(store, BatchJobStore) is batched
    for job_id in ("a", "b", "c"):
        inner.create(JobRecord(job_id, "echo", JobState.QUEUED, submitted_at_s=1.0))
    inner.mark_succeeded("c", "results/c.json", now_s=2.0)
    assert set(get_many(store, ["a", "b", "c", "missing"])) == {"a", "b", "c"}
    assert get_many(store, []) == {}
    mark_running_many(store, [("a", 1), ("b", 2), ("c", 3)], now_s=3.0)
    records = get_many(store, ["a", "b", "c"])
    assert [records[j].state for j in "abc"] == [JobState.RUNNING] * 2 + [JobState.SUCCEEDED]
    assert (records["a"].attempts, records["b"].attempts, records["c"].attempts) == (1, 2, 0)
    mark_succeeded_many(store, [("a", "results/a.json"), ("b", "results/b.json")], now_s=4.0)
    records = get_many(store, ["a", "b", "c"])
    assert all(r.state is JobState.SUCCEEDED for r in records.values())
    assert records["c"].finished_at_s == 2.0
    if not batched:
        assert "mark_running" in store.calls and "mark_succeeded" in store.calls


@pytest.mark.parametrize("batched", [True, False])
def test_create_many_matches_single_creates(tmp_path: Path, batched: bool) -> None:
    inner = SqliteJobStore(tmp_path / "jobs.db")
    store: Any = inner if batched else SingleOnly(inner)
    inner.create(JobRecord("old", "echo", JobState.SUCCEEDED, idempotency_key="k1"))
    records = [
        JobRecord("a", "echo", JobState.QUEUED, idempotency_key="k1"),  # key already used
        JobRecord("b", "echo", JobState.QUEUED, idempotency_key="k2"),
        JobRecord("c", "echo", JobState.QUEUED, idempotency_key="k2"),  # same key in the batch
        JobRecord("d", "echo", JobState.QUEUED),
        JobRecord("d", "echo", JobState.QUEUED),  # same id again
    ]
    results = create_many(store, records)
    assert [(record.job_id, created) for record, created in results] == [
        ("old", False),
        ("b", True),
        ("b", False),
        ("d", True),
        ("d", False),
    ]
    assert results[0][0].state is JobState.SUCCEEDED
    counts = inner.count_by_state("echo")
    assert (counts[JobState.QUEUED], counts[JobState.SUCCEEDED]) == (2, 1)
    if not batched:
        assert store.calls.count("create") == len(records)


@pytest.mark.parametrize("batched", [True, False])
def test_progress_records_successes_with_their_own_times_and_running_marks(
    tmp_path: Path, batched: bool
) -> None:
    inner = SqliteJobStore(tmp_path / "jobs.db")
    store: Any = inner if batched else SingleOnly(inner)
    for job_id in ("a", "b", "c", "d"):
        inner.create(JobRecord(job_id, "echo", JobState.QUEUED, submitted_at_s=1.0))
    mark_running_many(inner, [("a", 1), ("b", 1)], now_s=2.0)
    inner.mark_succeeded("d", "results/d.json", now_s=2.5)
    inline = [("a", b'{"ok": 1}', 3.0)] if batched else []
    progress = Progress(
        now_s=4.0,
        inline=inline,
        by_ref=[("b", "results/b.json", 3.5), ("d", "results/other.json", 3.6)],
        running=[("c", 2), ("d", 9)],  # d already succeeded: neither update moves it
    )
    record_progress(store, progress)
    records = get_many(inner, ["a", "b", "c", "d"])
    assert (records["b"].state, records["b"].finished_at_s) == (JobState.SUCCEEDED, 3.5)
    assert (records["c"].state, records["c"].attempts, records["c"].started_at_s) == (
        JobState.RUNNING,
        2,
        4.0,
    )
    assert (records["d"].result_ref, records["d"].finished_at_s) == ("results/d.json", 2.5)
    if batched:
        assert (records["a"].state, records["a"].finished_at_s) == (JobState.SUCCEEDED, 3.0)
        assert inner.inline_result("a") == b'{"ok": 1}'
    else:
        with pytest.raises(TypeError, match="inline"):
            record_progress(store, Progress(now_s=5.0, inline=[("a", b"{}", 5.0)]))
    record_progress(store, Progress(now_s=6.0))  # nothing to do: no error, no change
    assert get_many(inner, ["c"])["c"].started_at_s == 4.0
