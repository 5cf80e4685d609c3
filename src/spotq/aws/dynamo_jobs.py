"""JobStore on DynamoDB: `dynamodb://table-name`.

Transitions are single conditional UpdateItem calls: a job moves only out of QUEUED or RUNNING, so
a repeated or late update (an at-least-once redelivery, a slow worker after its message went to
the DLQ) never moves a finished job backwards; such an update is dropped, as the SQLite store's
`UPDATE ... WHERE state IN (...)` drops it. A finished job gets `expires_at` (TTL) so DynamoDB
deletes it after `ttl_s`.

Idempotent create writes the job and an `idem#<app>#<key>` claim item in one transaction, each
conditional on not existing: of two concurrent creates with one key, exactly one wins and the
other reads the winner's job.

Listing uses the sparse `by_app` index (app, submitted_at_s) and filters on state; without an app
it scans the table. Filters cost reads of the items they skip, so every listing stops after
`max_examined` items (then raises StorageError rather than silently truncating). That keeps
transitions at one round trip (the alternative, an index keyed on app+state, needs the app on
every state change, i.e. a read first); TTL keeps the examined set to the retained jobs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from spotq.aws.dynamo_codec import Item, item_to_record, number, record_to_item, string
from spotq.aws.dynamo_schema import (
    APP_ATTR,
    APP_INDEX,
    IDEMPOTENCY_KIND,
    JOB_KIND,
    KIND_ATTR,
    PARTITION_KEY,
    TTL_ATTR,
    idempotency_pk,
    job_pk,
)
from spotq.aws.session import AwsConfig, make_client
from spotq.errors import ConfigError, StorageError
from spotq.jobs import TERMINAL_STATES, JobRecord, JobState
from spotq.storage.base import check_page

DEFAULT_TTL_S = 7 * 24 * 3600
DEFAULT_MAX_EXAMINED = 100_000
_MAX_QUEUED_S = 14 * 24 * 3600  # SQS's longest message retention
_PAGE_ITEMS = 1000
_ACTIVE = {":queued": string(JobState.QUEUED.value), ":running": string(JobState.RUNNING.value)}
_ACTIVE_CONDITION = f"attribute_exists({PARTITION_KEY}) AND #state IN (:queued, :running)"


def parse_dynamodb_url(url: str) -> str:
    """`dynamodb://table-name` -> "table-name"."""
    parts = urlsplit(url)
    name = parts.netloc
    if parts.scheme != "dynamodb" or not name or parts.path.strip("/") or parts.query:
        raise ConfigError(f"jobs_url: expected dynamodb://TABLE, got {url!r}")
    if not (3 <= len(name) <= 255) or not all(c.isalnum() or c in "_.-" for c in name):
        raise ConfigError(f"jobs_url: {name!r} is not a valid DynamoDB table name")
    return name


class DynamoJobStore:
    """Job records in one DynamoDB table (shape in spotq.aws.dynamo_schema)."""

    def __init__(
        self,
        url: str,
        *,
        aws: AwsConfig | None = None,
        client: Any = None,
        ttl_s: float = DEFAULT_TTL_S,
        max_examined: int = DEFAULT_MAX_EXAMINED,
    ) -> None:
        self.table = parse_dynamodb_url(url)
        self._db = client if client is not None else make_client("dynamodb", aws)
        self._ttl_s = ttl_s
        self._max_examined = max_examined

    # -- create and read -------------------------------------------------------------------

    def create(self, record: JobRecord) -> tuple[JobRecord, bool]:
        job_put = self._put(record_to_item(record))
        if record.idempotency_key is None:
            try:
                self._call("put_item", **job_put)
            except ClientError:  # only a failed "does not exist" condition gets here
                return self._must_get(record.job_id), False
            return record, True
        claim_put = self._put(self._claim_item(record))
        for _ in range(2):
            try:
                self._call(
                    "transact_write_items", TransactItems=[{"Put": claim_put}, {"Put": job_put}]
                )
            except ClientError as exc:
                if not _lost_to_condition(exc):
                    raise _storage_error("create", record.job_id, exc) from exc
            else:
                return record, True
            existing, stale_job_id = self._existing_for_key(record)
            if existing is not None:
                return existing, False
            # The claim outlived its job (TTL): take the key over, unless someone else just did.
            claim_put["ConditionExpression"] = "job_id = :old"
            claim_put["ExpressionAttributeValues"] = {":old": string(stale_job_id)}
        raise StorageError(f"create {record.job_id!r}: idempotency key contended, try again")

    def _claim_item(self, record: JobRecord) -> Item:
        assert record.idempotency_key is not None
        claim: Item = {
            PARTITION_KEY: string(idempotency_pk(record.app, record.idempotency_key)),
            KIND_ATTR: string(IDEMPOTENCY_KIND),
            "job_id": string(record.job_id),
        }
        if record.submitted_at_s > 0:
            # Outlives the job: it finishes within SQS's retention, then lives ttl_s more.
            expires_s = record.submitted_at_s + _MAX_QUEUED_S + self._ttl_s
            claim[TTL_ATTR] = {"N": str(int(expires_s))}
        return claim

    def _existing_for_key(self, record: JobRecord) -> tuple[JobRecord | None, str]:
        """The job holding this record's key (or id), else None and the stale claim's job id."""
        assert record.idempotency_key is not None
        key = {PARTITION_KEY: string(idempotency_pk(record.app, record.idempotency_key))}
        reply = self._call("get_item", TableName=self.table, Key=key, ConsistentRead=True)
        claim = reply.get("Item")
        if claim is None:  # the claim is free, so the job id itself was taken
            return self._must_get(record.job_id), record.job_id
        job_id = claim["job_id"]["S"]
        return self.get(job_id), job_id

    def get(self, job_id: str) -> JobRecord | None:
        key = {PARTITION_KEY: string(job_pk(job_id))}
        reply = self._call("get_item", TableName=self.table, Key=key, ConsistentRead=True)
        item = reply.get("Item")
        return item_to_record(item) if item else None

    def _must_get(self, job_id: str) -> JobRecord:
        found = self.get(job_id)
        if found is None:
            raise StorageError(f"job {job_id!r} vanished from table {self.table!r}")
        return found

    # -- transitions ---------------------------------------------------------------------

    def mark_running(self, job_id: str, attempt: int, now_s: float) -> None:
        values = {":new": string(JobState.RUNNING.value), ":attempt": number(attempt)}
        values[":now"] = number(now_s)
        self._transition(
            job_id, "SET #state = :new, attempts = :attempt, started_at_s = :now", values
        )

    def mark_succeeded(self, job_id: str, result_ref: str, now_s: float) -> None:
        values = {":new": string(JobState.SUCCEEDED.value), ":ref": string(result_ref)}
        values.update(self._finish_values(now_s))
        # A result that arrives after the job was given up on still wins: the work is done.
        self._update(
            job_id,
            update="SET #state = :new, result_ref = :ref, finished_at_s = :now, #ttl = :expires",
            condition=f"attribute_exists({PARTITION_KEY}) AND #state <> :new",
            values=values,
            ttl=True,
        )

    def mark_error(self, job_id: str, error: str, state: JobState, now_s: float) -> None:
        if state not in (JobState.QUEUED, JobState.FAILED, JobState.DEAD):
            raise ValueError(f"mark_error: state must be queued, failed or dead, not {state}")
        values = {":new": string(state.value), ":error": string(error)}
        if state not in TERMINAL_STATES:
            self._transition(job_id, "SET #state = :new, last_error = :error", values)
            return
        values.update(self._finish_values(now_s))
        update = "SET #state = :new, last_error = :error, finished_at_s = :now, #ttl = :expires"
        self._transition(job_id, update, values, ttl=True)

    def requeue(self, job_id: str) -> None:
        self._update(
            job_id,
            update="SET #state = :new, attempts = :zero REMOVE finished_at_s, #ttl",
            condition=f"attribute_exists({PARTITION_KEY}) AND #state IN (:dead, :failed)",
            values={
                ":new": string(JobState.QUEUED.value),
                ":zero": number(0),
                ":dead": string(JobState.DEAD.value),
                ":failed": string(JobState.FAILED.value),
            },
            ttl=True,
        )

    def _finish_values(self, now_s: float) -> dict[str, dict[str, str]]:
        return {":now": number(now_s), ":expires": {"N": str(int(now_s + self._ttl_s))}}

    def _transition(
        self, job_id: str, update: str, values: dict[str, Any], *, ttl: bool = False
    ) -> None:
        self._update(job_id, update, _ACTIVE_CONDITION, {**values, **_ACTIVE}, ttl=ttl)

    def _update(
        self, job_id: str, update: str, condition: str, values: dict[str, Any], *, ttl: bool
    ) -> None:
        names = {"#state": "state"}
        if ttl:
            names["#ttl"] = TTL_ATTR
        try:
            self._call(
                "update_item",
                TableName=self.table,
                Key={PARTITION_KEY: string(job_pk(job_id))},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            # A failed condition is the rule working: the job is finished (or unknown).
            if _code(exc) != "ConditionalCheckFailedException":
                raise _storage_error("update", job_id, exc) from exc

    # -- listing ---------------------------------------------------------------------------

    def list(
        self,
        *,
        app: str | None = None,
        states: Sequence[JobState] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[JobRecord]:
        check_page(limit, offset)
        wanted = frozenset(states) if states is not None else None
        matches = (
            record
            for record in map(item_to_record, self._job_items(app))
            if wanted is None or record.state in wanted
        )
        if app is None:  # a scan has no order: read every job, then sort
            return _page(sorted(matches, key=_order), offset, limit)
        return _page(_first_in_order(matches, offset + limit), offset, limit)

    def count_by_state(self, app: str | None = None) -> dict[JobState, int]:
        counts = dict.fromkeys(JobState, 0)
        for item in self._job_items(app, projection="#state"):
            counts[JobState(item["state"]["S"])] += 1
        return counts

    def _job_items(self, app: str | None, projection: str | None = None) -> Iterator[Item]:
        """Every job item of `app` (or of all apps), at most `max_examined` of them."""
        kwargs: dict[str, Any] = {"TableName": self.table}
        if projection is not None:
            kwargs["ProjectionExpression"] = projection
            kwargs["ExpressionAttributeNames"] = {"#state": "state"}
        if app is not None:
            kwargs.update(
                IndexName=APP_INDEX,
                KeyConditionExpression=f"{APP_ATTR} = :app",
                ExpressionAttributeValues={":app": string(app)},
            )
            operation = "query"
        else:
            kwargs.update(
                FilterExpression=f"{KIND_ATTR} = :kind",
                ExpressionAttributeValues={":kind": string(JOB_KIND)},
            )
            operation = "scan"
        yield from self._paginate(operation, kwargs)

    def _paginate(self, operation: str, kwargs: dict[str, Any]) -> Iterator[Item]:
        kwargs["Limit"] = min(_PAGE_ITEMS, self._max_examined)
        examined = 0
        while True:
            reply = self._call(operation, **kwargs)
            examined += int(reply.get("ScannedCount", 0))
            yield from reply.get("Items", [])
            last = reply.get("LastEvaluatedKey")
            if not last:
                return
            if examined >= self._max_examined:
                raise StorageError(
                    f"table {self.table!r}: listing reached its cap of {self._max_examined} "
                    "examined items; narrow it by app or shorten the TTL"
                )
            kwargs["ExclusiveStartKey"] = last

    # -- plumbing --------------------------------------------------------------------------

    def _put(self, item: Item) -> dict[str, Any]:
        return {
            "TableName": self.table,
            "Item": item,
            "ConditionExpression": f"attribute_not_exists({PARTITION_KEY})",
        }

    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._db, operation)(**kwargs)
        except ClientError as exc:
            if _code(exc) in {"ConditionalCheckFailedException", "TransactionCanceledException"}:
                raise
            raise _storage_error(operation, kwargs.get("TableName", self.table), exc) from exc
        except BotoCoreError as exc:
            raise StorageError(f"dynamodb {operation} on {self.table!r}: {exc}") from exc


def _order(record: JobRecord) -> tuple[float, str]:
    return (record.submitted_at_s, record.job_id)


def _page(records: list[JobRecord], offset: int, limit: int) -> list[JobRecord]:
    return records[offset : offset + limit]


def _first_in_order(ordered_by_time: Iterator[JobRecord], count: int) -> list[JobRecord]:
    """The first `count` records by (submitted_at_s, job_id) from a stream sorted by time only.

    The index breaks ties in submission time arbitrarily, so read past `count` until the time
    changes, then sort: the page then matches the SQLite store's ORDER BY exactly.
    """
    taken: list[JobRecord] = []
    for record in ordered_by_time:
        if len(taken) >= count and record.submitted_at_s != taken[-1].submitted_at_s:
            break
        taken.append(record)
    taken.sort(key=_order)
    return taken[:count]


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _lost_to_condition(exc: ClientError) -> bool:
    """A cancelled transaction whose only failures were our "does not exist yet" conditions."""
    if _code(exc) != "TransactionCanceledException":
        return False
    reasons = exc.response.get("CancellationReasons") or []
    codes = {str(reason.get("Code", "None")) for reason in reasons}
    return "ConditionalCheckFailed" in codes and codes <= {"None", "ConditionalCheckFailed"}


def _storage_error(operation: str, subject: str, exc: ClientError) -> StorageError:
    error = exc.response.get("Error", {})
    return StorageError(
        f"dynamodb {operation} ({subject}): {error.get('Code', '?')}: {error.get('Message', '')}"
    )
