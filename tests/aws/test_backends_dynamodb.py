"""DynamoDB-only behaviour: TTL on finished jobs, URL checks, the listing cap."""

from __future__ import annotations

import dataclasses

import pytest

from spotq.aws.dynamo_jobs import DynamoJobStore, parse_dynamodb_url
from spotq.aws.dynamo_schema import TTL_ATTR, cloudformation_properties, idempotency_pk, job_pk
from spotq.aws.session import AwsConfig, make_client
from spotq.errors import ConfigError, StorageError
from spotq.jobs import JobRecord, JobState

NOW_S = 1_700_000_000.0


def _raw_item(aws: AwsConfig, table: str, job_id: str) -> dict[str, dict[str, str]]:
    reply = make_client("dynamodb", aws).get_item(
        TableName=table, Key={"pk": {"S": job_pk(job_id)}}
    )
    item: dict[str, dict[str, str]] = reply["Item"]
    return item


def test_finished_jobs_get_a_ttl_and_requeue_clears_it(
    aws_env: AwsConfig, dynamo_table: str
) -> None:
    store = DynamoJobStore(f"dynamodb://{dynamo_table}", aws=aws_env, ttl_s=3600)
    store.create(JobRecord(job_id="j1", app="demo", state=JobState.QUEUED))
    store.mark_running("j1", attempt=1, now_s=NOW_S)
    assert TTL_ATTR not in _raw_item(aws_env, dynamo_table, "j1")
    store.mark_error("j1", "boom", JobState.DEAD, now_s=NOW_S)
    assert _raw_item(aws_env, dynamo_table, "j1")[TTL_ATTR] == {"N": str(int(NOW_S + 3600))}
    store.requeue("j1")
    assert TTL_ATTR not in _raw_item(aws_env, dynamo_table, "j1")


def test_table_has_ttl_enabled_on_expires_at(aws_env: AwsConfig, dynamo_table: str) -> None:
    described = make_client("dynamodb", aws_env).describe_time_to_live(TableName=dynamo_table)
    assert described["TimeToLiveDescription"]["AttributeName"] == TTL_ATTR
    assert cloudformation_properties()["TimeToLiveSpecification"]["AttributeName"] == TTL_ATTR


def test_listing_stops_at_the_examined_cap(aws_env: AwsConfig, dynamo_table: str) -> None:
    store = DynamoJobStore(f"dynamodb://{dynamo_table}", aws=aws_env, max_examined=3)
    for i in range(5):
        store.create(
            JobRecord(job_id=f"j{i}", app="demo", state=JobState.QUEUED, submitted_at_s=NOW_S + i)
        )
    assert len(store.list(app="demo", limit=2)) == 2  # a full page before the cap: fine
    with pytest.raises(StorageError, match="cap of 3"):
        store.list()


def test_missing_table_is_a_storage_error(aws_env: AwsConfig) -> None:
    store = DynamoJobStore("dynamodb://no-such-table", aws=aws_env)
    with pytest.raises(StorageError, match="no-such-table"):
        store.get("x")


@pytest.mark.parametrize(
    "url", ["dynamodb://", "dynamo://t1", "dynamodb://a/b", "dynamodb://x", "dynamodb://bad name"]
)
def test_bad_urls_name_the_key(url: str) -> None:
    with pytest.raises(ConfigError, match="jobs_url"):
        parse_dynamodb_url(url)


def test_an_expired_jobs_idempotency_key_can_be_used_again(
    aws_env: AwsConfig, dynamo_table: str
) -> None:
    store = DynamoJobStore(f"dynamodb://{dynamo_table}", aws=aws_env, ttl_s=3600)
    first = JobRecord("old", "demo", JobState.QUEUED, submitted_at_s=NOW_S, idempotency_key="k")
    store.create(first)
    claim = make_client("dynamodb", aws_env).get_item(
        TableName=dynamo_table, Key={"pk": {"S": idempotency_pk("demo", "k")}}
    )["Item"]
    assert int(claim[TTL_ATTR]["N"]) >= NOW_S + 14 * 86400 + 3600  # outlives any job
    assert store.create(dataclasses.replace(first, job_id="dup")) == (first, False)
    # DynamoDB's TTL deletes the finished job's item; its claim lives on for a while.
    make_client("dynamodb", aws_env).delete_item(
        TableName=dynamo_table, Key={"pk": {"S": job_pk("old")}}
    )
    fresh = dataclasses.replace(first, job_id="new")
    assert store.create(fresh) == (fresh, True)
    assert store.create(dataclasses.replace(first, job_id="again")) == (fresh, False)
