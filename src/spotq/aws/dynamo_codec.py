"""JobRecord <-> DynamoDB item (the low-level attribute-value form)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from spotq.aws.dynamo_schema import JOB_KIND, KIND_ATTR, PARTITION_KEY, job_pk
from spotq.errors import StorageError
from spotq.jobs import JobRecord, JobState, Priority

Item = dict[str, dict[str, Any]]

_FLOAT_FIELDS = frozenset({"submitted_at_s", "started_at_s", "finished_at_s"})
_INT_FIELDS = frozenset({"attempts"})
_FIELD_NAMES = tuple(f.name for f in fields(JobRecord))


def number(value: float) -> dict[str, str]:
    # repr() of a float round-trips exactly and fits DynamoDB's 38 significant digits.
    return {"N": repr(value)}


def string(value: str) -> dict[str, str]:
    return {"S": value}


def record_to_item(record: JobRecord) -> Item:
    """The item for a job; None fields are left out rather than stored as NULL."""
    item: Item = {PARTITION_KEY: string(job_pk(record.job_id)), KIND_ATTR: string(JOB_KIND)}
    for name in _FIELD_NAMES:
        value = getattr(record, name)
        if value is None:
            continue
        if name in _FLOAT_FIELDS:
            item[name] = number(float(value))
        elif name in _INT_FIELDS:
            item[name] = {"N": str(int(value))}
        else:
            item[name] = string(str(value))
    return item


def item_to_record(item: Item) -> JobRecord:
    """Rebuild a JobRecord; a malformed item is a StorageError, not a KeyError."""
    values: dict[str, Any] = {}
    try:
        for name in _FIELD_NAMES:
            attr = item.get(name)
            if attr is None:
                continue
            if name in _FLOAT_FIELDS:
                values[name] = float(attr["N"])
            elif name in _INT_FIELDS:
                values[name] = int(attr["N"])
            else:
                values[name] = attr["S"]
        values["state"] = JobState(values["state"])
        if "priority" in values:
            values["priority"] = Priority(values["priority"])
        return JobRecord(**values)
    except (KeyError, TypeError, ValueError) as exc:
        raise StorageError(f"malformed job item {item.get(PARTITION_KEY)}: {exc!r}") from None
