"""Queue lifecycle and attributes: create, delete, purge, get/set attributes, dead-letter links."""

from __future__ import annotations

import json

from spotq.sqs import attributes, validation
from spotq.sqs.errors import sqs_error
from spotq.sqs.store import Queue, SqsStore

RECENTLY_S = 60.0


def create(store: SqsStore, name: str, attrs: dict[str, str], tags: dict[str, str]) -> Queue:
    """Create a queue, or return the existing one when its attributes match (as SQS does)."""
    fifo = attrs.get("FifoQueue", "false").lower() == "true"
    validation.queue_name(name, fifo)
    if name.endswith(".fifo") and not fifo:
        raise validation.invalid_value(
            "QueueName",
            name,
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        )
    if not fifo and "FifoQueue" in attrs:  # FifoQueue=false is no attribute of a standard queue
        raise attributes.unknown_name("FifoQueue")
    wanted = attributes.normalize(attrs, fifo=fifo, creating=True)
    _validate_tags(tags)
    existing = store.queues.get(name)
    if existing is not None:
        if any(existing.attrs.get(key) != value for key, value in wanted.items()):
            raise sqs_error(
                "QueueNameExists",
                "A queue already exists with the same name and a different value for attribute(s)",
            )
        return existing
    now = store.now()
    with store.tx():
        _check_recently_deleted(store, name, now)
        full = attributes.defaults(fifo)
        full.update(wanted)
        if fifo:
            full[attributes.CREATED_DEDUP_SCOPE] = full["DeduplicationScope"]
        if "RedrivePolicy" in full:
            _check_redrive(store, name, fifo, full["RedrivePolicy"])
        _drop_empty(full)
        cursor = store.conn.execute(
            "INSERT INTO queues (name, fifo, attrs, tags, created_s, modified_s) "
            "VALUES (?,?,?,?,?,?)",
            (name, int(fifo), json.dumps(full), json.dumps(tags), now, now),
        )
        assert cursor.lastrowid is not None
        queue = Queue(cursor.lastrowid, name, fifo, full, dict(tags), now, now, None)
        store._cache(queue)
    return queue


def _check_recently_deleted(store: SqsStore, name: str, now: float) -> None:
    row = store.conn.execute(
        "SELECT deleted_s FROM deleted_queues WHERE name=?", (name,)
    ).fetchone()
    if row is not None and now - float(row[0]) < RECENTLY_S:
        raise sqs_error(
            "QueueDeletedRecently",
            "You must wait 60 seconds after deleting a queue before you can create another "
            "with the same name.",
        )


def _drop_empty(attrs: dict[str, str]) -> None:
    if attrs.get("KmsMasterKeyId") == "":  # clearing the key clears its reuse period too
        attrs.pop("KmsDataKeyReusePeriodSeconds", None)
    for key in ("Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId"):
        if attrs.get(key) == "":
            del attrs[key]
    if "KmsMasterKeyId" in attrs:
        attrs["SqsManagedSseEnabled"] = "false"
        attrs.setdefault("KmsDataKeyReusePeriodSeconds", "300")


def _check_redrive(store: SqsStore, name: str, fifo: bool, policy: str) -> None:
    """The dead-letter target must exist, be of the same type, and allow this source."""
    if policy == "":
        return
    dlq_arn, _ = attributes.parse_redrive_policy(policy)
    dlq = store.queue_by_arn(dlq_arn)
    if dlq is None:
        raise attributes.bad_value("RedrivePolicy", "Dead letter target does not exist.")
    if dlq.fifo != fifo:
        raise attributes.bad_value(
            "RedrivePolicy",
            "Dead-letter target queue must be of the same type as the source queue.",
        )
    if not attributes.redrive_allows(dlq.attrs.get("RedriveAllowPolicy"), store.arn(name)):
        raise attributes.bad_value(
            "RedrivePolicy", "Dead-letter target owner is not allowing this source queue."
        )


def _validate_tags(tags: dict[str, str]) -> None:
    if len(tags) > 50:
        raise sqs_error("InvalidParameterValue", "Too many tags added for queue (at most 50).")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256 or key.lower().startswith("aws:"):
            raise sqs_error("InvalidParameterValue", f"Tag {key!r} has an invalid key or value.")


def delete(store: SqsStore, queue: Queue) -> None:
    """Delete a queue and its messages; its name stays reserved for 60 seconds."""
    now = store.now()
    with store.tx():
        conn = store.conn
        conn.execute("DELETE FROM messages WHERE queue_id=?", (queue.id,))
        conn.execute("DELETE FROM fifo_heads WHERE queue_id=?", (queue.id,))
        conn.execute("DELETE FROM dedup WHERE queue_id=?", (queue.id,))
        conn.execute("DELETE FROM queues WHERE id=?", (queue.id,))
        conn.execute(
            "INSERT OR REPLACE INTO deleted_queues (name, deleted_s) VALUES (?,?)",
            (queue.name, now),
        )
        store._uncache(queue)


def purge(store: SqsStore, queue: Queue) -> None:
    """Delete every message and deduplication id; one purge per 60 seconds (PurgeQueueInProgress
    otherwise)."""
    now = store.now()
    if queue.purged_s is not None and now - queue.purged_s < RECENTLY_S:
        raise sqs_error(
            "PurgeQueueInProgress",
            f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.",
        )
    with store.tx():
        conn = store.conn
        conn.execute("DELETE FROM messages WHERE queue_id=?", (queue.id,))
        conn.execute("DELETE FROM fifo_heads WHERE queue_id=?", (queue.id,))
        # A purge also forgets deduplication ids (as SQS does): else the next send that reuses
        # one within five minutes would be accepted and silently dropped.
        conn.execute("DELETE FROM dedup WHERE queue_id=?", (queue.id,))
        conn.execute("UPDATE queues SET purged_s=? WHERE id=?", (now, queue.id))
        queue.counts = [0, 0, 0]
        queue.purged_s = now
        queue.next_event_s = float("inf")
        queue.next_visible_s = float("inf")


def set_attributes(store: SqsStore, queue: Queue, attrs: dict[str, str]) -> None:
    wanted = attributes.normalize(attrs, fifo=queue.fifo, creating=False)
    if "RedrivePolicy" in wanted:
        _check_redrive(store, queue.name, queue.fifo, wanted["RedrivePolicy"])
    if "RedriveAllowPolicy" in wanted:
        _check_allow_change(store, queue, wanted["RedriveAllowPolicy"])
    merged = dict(queue.attrs)
    merged.update(wanted)
    if merged.get("FifoThroughputLimit") == "perMessageGroupId" and (
        merged.get("DeduplicationScope") != "messageGroup"
    ):
        raise attributes.bad_value(
            "FifoThroughputLimit",
            "perMessageGroupId is only valid when DeduplicationScope is messageGroup.",
        )
    _drop_empty(merged)
    write_attributes(store, queue, merged)


def _check_allow_change(store: SqsStore, queue: Queue, allow_policy: str) -> None:
    """Tightening RedriveAllowPolicy must not strand an existing source (SQS refuses it)."""
    for source in store.queues.values():
        if source.dlq_arn == queue.arn and not attributes.redrive_allows(allow_policy, source.arn):
            raise attributes.bad_value(
                "RedriveAllowPolicy",
                f"Queue {source.arn} already uses this queue as its dead-letter target.",
            )


def write_attributes(store: SqsStore, queue: Queue, attrs: dict[str, str]) -> None:
    now = store.now()
    with store.tx():
        store.conn.execute(
            "UPDATE queues SET attrs=?, modified_s=? WHERE id=?",
            (json.dumps(attrs), now, queue.id),
        )
        queue.attrs = attrs
        queue.modified_s = now
        queue.refresh()


def get_attributes(
    store: SqsStore, queue: Queue, names: list[str], region: str | None = None
) -> dict[str, str]:
    """The named attributes; QueueArn written for `region` (the client's), if given."""
    wanted = attributes.expand_names(names)
    out = {name: value for name, value in queue.attrs.items() if name in wanted}
    if wanted & {
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    }:
        delayed, inflight, visible = store.counts(queue)
        computed = {
            "ApproximateNumberOfMessages": visible,
            "ApproximateNumberOfMessagesNotVisible": inflight,
            "ApproximateNumberOfMessagesDelayed": delayed,
        }
        out.update({k: str(v) for k, v in computed.items() if k in wanted})
    if "CreatedTimestamp" in wanted:
        out["CreatedTimestamp"] = str(int(queue.created_s))
    if "LastModifiedTimestamp" in wanted:
        out["LastModifiedTimestamp"] = str(int(queue.modified_s))
    if "QueueArn" in wanted:
        out["QueueArn"] = attributes.rehome(queue.arn, region) if region else queue.arn
    return out


def dead_letter_sources(store: SqsStore, queue: Queue) -> list[Queue]:
    return sorted(
        (q for q in store.queues.values() if q.dlq_arn == queue.arn), key=lambda q: q.name
    )


def set_tags(store: SqsStore, queue: Queue, tags: dict[str, str]) -> None:
    _validate_tags(tags)
    with store.tx():
        store.conn.execute("UPDATE queues SET tags=? WHERE id=?", (json.dumps(tags), queue.id))
        queue.tags = dict(tags)
