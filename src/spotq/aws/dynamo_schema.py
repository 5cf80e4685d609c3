"""The DynamoDB job table's shape, in one place: the job store, tests and CloudFormation synthesis
all build the table from these definitions.

One table, two kinds of item (single-table design):
- a job: `pk = "job#<job id>"`, the JobRecord's fields, `expires_at` (TTL, epoch seconds) once the
  job is finished;
- an idempotency claim: `pk = "idem#<app>#<key>"` holding the job id it was first used for.
A sparse global secondary index `by_app` (partition `app`, sort `submitted_at_s`) lists an app's
jobs in submission order; idempotency items have no `app` attribute, so they are not in it.
"""

from __future__ import annotations

from typing import Any

PARTITION_KEY = "pk"
APP_INDEX = "by_app"
APP_ATTR = "app"
SUBMITTED_ATTR = "submitted_at_s"
TTL_ATTR = "expires_at"
KIND_ATTR = "kind"
JOB_KIND = "job"
IDEMPOTENCY_KIND = "idem"


def job_pk(job_id: str) -> str:
    return f"job#{job_id}"


def idempotency_pk(app: str, key: str) -> str:
    return f"idem#{app}#{key}"


def _key_parts() -> dict[str, Any]:
    return {
        "AttributeDefinitions": [
            {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": APP_ATTR, "AttributeType": "S"},
            {"AttributeName": SUBMITTED_ATTR, "AttributeType": "N"},
        ],
        "KeySchema": [{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": APP_INDEX,
                "KeySchema": [
                    {"AttributeName": APP_ATTR, "KeyType": "HASH"},
                    {"AttributeName": SUBMITTED_ATTR, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


def create_table_kwargs(table_name: str) -> dict[str, Any]:
    """Arguments for boto3 `create_table` (TTL is a separate `update_time_to_live` call)."""
    return {"TableName": table_name, **_key_parts()}


def cloudformation_properties(table_name: str | None = None) -> dict[str, Any]:
    """`Properties` of an `AWS::DynamoDB::Table` resource, TTL and point-in-time recovery on."""
    props: dict[str, Any] = {
        **_key_parts(),
        "TimeToLiveSpecification": {"AttributeName": TTL_ATTR, "Enabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    if table_name is not None:
        props["TableName"] = table_name
    return props
