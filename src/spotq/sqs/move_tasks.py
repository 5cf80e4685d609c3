"""Message move tasks: redrive a dead-letter queue back to its sources or to another queue.

Tasks are rows; the server calls `run_due` from its loop to move messages at the task's rate.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import uuid
from typing import Any

from spotq.sqs import messages, validation
from spotq.sqs.errors import sqs_error
from spotq.sqs.schema import VISIBLE
from spotq.sqs.store import Queue, SqsStore

# Messages moved per task per tick when the task has no rate limit.
UNLIMITED_BATCH = 500
MAX_RATE = 500


def _not_found(param: str) -> Exception:
    return sqs_error(
        "ResourceNotFoundException",
        f"The resource that you specified for the {param} parameter doesn't exist.",
    )


def start(store: SqsStore, source_arn: str, dest_arn: str | None, rate: int | None) -> str:
    """Start moving the messages now in a dead-letter queue; return the opaque task handle."""
    source = store.queue_by_arn(source_arn)
    if source is None:
        raise _not_found("SourceArn")
    if not any(q.dlq_arn == source.arn for q in store.queues.values()):
        raise validation.invalid_value(
            "SourceArn", source_arn, "Source queue must be configured as a Dead Letter Queue."
        )
    if dest_arn is not None and store.queue_by_arn(dest_arn) is None:
        raise _not_found("DestinationArn")
    validation.int_range("MaxNumberOfMessagesPerSecond", rate, 1, MAX_RATE)
    active = store.conn.execute(
        "SELECT 1 FROM move_tasks WHERE source_arn=? AND status='RUNNING'", (source_arn,)
    ).fetchone()
    if active is not None:
        raise validation.invalid_value(
            "SourceArn",
            source_arn,
            "There is already a task running. Only one active task is allowed for a source "
            "queue arn at a given time.",
        )
    _, _, visible = store.counts(source)
    max_id = store.conn.execute("SELECT COALESCE(MAX(id), 0) FROM messages").fetchone()[0]
    now = store.now()
    handle = _handle(source_arn)
    with store.tx():
        store.conn.execute(
            "INSERT INTO move_tasks (handle, source_arn, dest_arn, rate, status, to_move, max_id, "
            "started_s, progress_s) VALUES (?,?,?,?,'RUNNING',?,?,?,?)",
            (handle, source_arn, dest_arn, rate, visible, max_id, now, now),
        )
    return handle


def _handle(source_arn: str) -> str:
    raw = json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": source_arn})
    return base64.b64encode(raw.encode("utf-8")).decode("ascii")


def _check_handle(handle: str) -> None:
    """A handle this server could have issued (else InvalidParameterValue, as SQS answers)."""
    try:
        decoded = json.loads(base64.b64decode(handle, validate=True).decode("utf-8"))
    except ValueError:  # binascii.Error, UnicodeDecodeError and JSON errors alike
        decoded = None
    if not isinstance(decoded, dict) or not {"taskId", "sourceArn"} <= decoded.keys():
        raise validation.invalid_value("TaskHandle", handle, "Value for parameter is invalid.")


def cancel(store: SqsStore, handle: str) -> int:
    """Cancel a running task; return how many messages it had moved."""
    _check_handle(handle)
    row = store.conn.execute(
        "SELECT id, status, moved FROM move_tasks WHERE handle=?", (handle,)
    ).fetchone()
    if row is None:
        raise _not_found("TaskHandle")
    if row["status"] != "RUNNING":
        raise validation.invalid_value("TaskHandle", handle, "Only running tasks can be cancelled.")
    with store.tx():
        store.conn.execute("UPDATE move_tasks SET status='CANCELLED' WHERE id=?", (row["id"],))
    return int(row["moved"])


def list_tasks(store: SqsStore, source_arn: str, max_results: int | None) -> list[dict[str, Any]]:
    if store.queue_by_arn(source_arn) is None:
        raise _not_found("SourceArn")
    validation.int_range("MaxResults", max_results, 1, 10)
    rows = store.conn.execute(
        "SELECT * FROM move_tasks WHERE source_arn=? ORDER BY id DESC LIMIT ?",
        (source_arn, max_results or 1),
    ).fetchall()
    return [_entry(row) for row in rows]


def _entry(row: sqlite3.Row) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Status": row["status"],
        "SourceArn": row["source_arn"],
        "ApproximateNumberOfMessagesMoved": row["moved"],
        "ApproximateNumberOfMessagesToMove": row["to_move"],
        "StartedTimestamp": int(row["started_s"] * 1000),
    }
    if row["status"] == "RUNNING":
        entry["TaskHandle"] = row["handle"]
    if row["dest_arn"] is not None:
        entry["DestinationArn"] = row["dest_arn"]
    if row["rate"] is not None:
        entry["MaxNumberOfMessagesPerSecond"] = row["rate"]
    if row["failure"] is not None:
        entry["FailureReason"] = row["failure"]
    return entry


def run_due(store: SqsStore) -> None:
    """Advance every running task by what its rate allows since it last moved."""
    tasks = store.conn.execute("SELECT * FROM move_tasks WHERE status='RUNNING'").fetchall()
    for task in tasks:
        with store.tx():
            _advance(store, task)


def _advance(store: SqsStore, task: sqlite3.Row) -> None:
    now = store.now()
    source = store.queue_by_arn(task["source_arn"])
    if source is None:
        _finish(store, task["id"], "FAILED", "The source queue was deleted.")
        return
    budget = UNLIMITED_BATCH
    if task["rate"] is not None:
        budget = min(UNLIMITED_BATCH, int((now - task["progress_s"]) * task["rate"]))
        if budget < 1:
            return
    store.maintain(source)
    rows = store.conn.execute(
        "SELECT * FROM messages WHERE queue_id=? AND state=? AND id<=? ORDER BY visible_at LIMIT ?",
        (source.id, VISIBLE, task["max_id"], budget),
    ).fetchall()
    moved = 0
    for row in rows:
        dest = _destination(store, task, row)
        if dest is None:
            _finish(store, task["id"], "FAILED", "The destination queue does not exist.")
            break
        messages.transfer(store, source, row, dest, None)
        moved += 1
    store.conn.execute(
        "UPDATE move_tasks SET moved=moved+?, progress_s=? WHERE id=?", (moved, now, task["id"])
    )
    if len(rows) < budget and moved == len(rows):
        _finish(store, task["id"], "COMPLETED", None)


def _destination(store: SqsStore, task: sqlite3.Row, row: sqlite3.Row) -> Queue | None:
    arn = task["dest_arn"] or row["dlq_source_arn"]
    return None if arn is None else store.queue_by_arn(arn)


def _finish(store: SqsStore, task_id: int, status: str, reason: str | None) -> None:
    store.conn.execute(
        "UPDATE move_tasks SET status=?, failure=? WHERE id=?", (status, reason, task_id)
    )
