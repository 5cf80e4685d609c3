"""The DynamoDB store behaves exactly as the SQLite store: random transition sequences applied to
both leave identical records after every step; any record survives the item codec unchanged."""

from __future__ import annotations

import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spotq.aws.dynamo_codec import item_to_record, record_to_item
from spotq.aws.dynamo_jobs import DynamoJobStore
from spotq.aws.session import AwsConfig
from spotq.jobs import JobRecord, JobState, Priority
from spotq.storage.sqlite_jobs import SqliteJobStore

NOW_S = 1_700_000_000.0

_ops = st.one_of(
    st.tuples(st.just("running"), st.integers(1, 5)),
    st.tuples(st.just("succeeded"), st.sampled_from(["results/a.json", "results/b.json"])),
    st.tuples(st.just("error"), st.sampled_from([JobState.QUEUED, JobState.FAILED, JobState.DEAD])),
    st.tuples(st.just("requeue"), st.none()),
)


def _apply(
    store: SqliteJobStore | DynamoJobStore, job_id: str, op: tuple[str, object], t: float
) -> None:
    name, arg = op
    if name == "running":
        assert isinstance(arg, int)
        store.mark_running(job_id, arg, t)
    elif name == "succeeded":
        store.mark_succeeded(job_id, str(arg), t)
    elif name == "error":
        assert isinstance(arg, JobState)
        store.mark_error(job_id, f"error at {t}", arg, t)
    else:
        store.requeue(job_id)


def test_random_transition_sequences_match_sqlite(
    aws_env: AwsConfig, dynamo_table: str, tmp_path: Path
) -> None:
    sqlite = SqliteJobStore(tmp_path / "jobs.db")
    dynamo = DynamoJobStore(f"dynamodb://{dynamo_table}", aws=aws_env)

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(ops=st.lists(_ops, min_size=1, max_size=8))
    def check(ops: list[tuple[str, object]]) -> None:
        record = JobRecord(uuid.uuid4().hex, "demo", JobState.QUEUED, submitted_at_s=NOW_S)
        sqlite.create(record)
        dynamo.create(record)
        for step, op in enumerate(ops, start=1):
            for store in (sqlite, dynamo):
                _apply(store, record.job_id, op, NOW_S + step)
            assert dynamo.get(record.job_id) == sqlite.get(record.job_id), (ops, step)

    check()


_text = st.text(min_size=1, max_size=40)
_time = st.floats(min_value=0, max_value=4e9, allow_nan=False, allow_infinity=False)


@given(
    record=st.builds(
        JobRecord,
        job_id=st.text(alphabet="abcdef0123456789", min_size=1, max_size=32),
        app=st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
        state=st.sampled_from(JobState),
        priority=st.sampled_from(Priority),
        attempts=st.integers(0, 1000),
        submitted_at_s=_time,
        started_at_s=st.none() | _time,
        finished_at_s=st.none() | _time,
        last_error=st.none() | _text,
        input_ref=st.none() | _text,
        result_ref=st.none() | _text,
        filename=st.none() | _text,
        idempotency_key=st.none() | _text,
    )
)
def test_item_codec_round_trips_any_record(record: JobRecord) -> None:
    assert item_to_record(record_to_item(record)) == record
