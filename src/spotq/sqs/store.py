"""The queue store's core: the SQLite connection, transactions, the queue cache and the lazy
time-driven transitions (delays and visibility timeouts ending, retention expiry)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from spotq.clock import Clock, SystemClock
from spotq.sqs import attributes, schema
from spotq.sqs.errors import sqs_error
from spotq.sqs.schema import DELAYED, IN_FLIGHT, VISIBLE

DEFAULT_INFLIGHT_LIMIT = 120_000
_NEVER = float("inf")


@dataclass
class Queue:
    """A queue's row, cached in memory, with its attributes parsed into typed fields."""

    id: int
    name: str
    fifo: bool
    attrs: dict[str, str]
    tags: dict[str, str]
    created_s: float
    modified_s: float
    purged_s: float | None
    arn: str = ""
    visibility_s: int = 30
    delay_s: int = 0
    retention_s: int = 345_600
    max_size_bytes: int = 1_048_576
    wait_s: int = 0
    content_dedup: bool = False
    dedup_by_group: bool = False
    dlq_arn: str | None = None
    max_receive_count: int = 0
    # When the next delayed/in-flight message becomes visible or the oldest message expires.
    next_event_s: float = 0.0
    next_visible_s: float = _NEVER
    extra: dict[str, object] = field(default_factory=dict)

    def refresh(self) -> None:
        """Recompute the typed fields from `attrs`."""
        a = self.attrs
        self.visibility_s = int(a["VisibilityTimeout"])
        self.delay_s = int(a["DelaySeconds"])
        self.retention_s = int(a["MessageRetentionPeriod"])
        self.max_size_bytes = int(a["MaximumMessageSize"])
        self.wait_s = int(a["ReceiveMessageWaitTimeSeconds"])
        self.content_dedup = a.get("ContentBasedDeduplication") == "true"
        self.dedup_by_group = a.get("DeduplicationScope") == "messageGroup"
        redrive = a.get("RedrivePolicy")
        if redrive:
            self.dlq_arn, self.max_receive_count = attributes.parse_redrive_policy(redrive)
        else:
            self.dlq_arn, self.max_receive_count = None, 0
        self.next_event_s = 0.0


class SqsStore:
    """All queue state and rules; no HTTP. Methods run on one thread (the server's loop)."""

    def __init__(
        self,
        db_path: Path | None = None,
        *,
        sync: str = "normal",
        clock: Clock | None = None,
        region: str = "us-east-1",
        account_id: str = "000000000000",
        inflight_limit: int = DEFAULT_INFLIGHT_LIMIT,
    ) -> None:
        self.conn = schema.connect(db_path, sync)
        self.clock: Clock = clock or SystemClock()
        self.region = region
        self.account_id = account_id
        self.inflight_limit = inflight_limit
        self.queues: dict[str, Queue] = {}
        self.by_id: dict[int, Queue] = {}
        # queue id -> called after a commit that may have made messages receivable there.
        self.listeners: list[Callable[[int], None]] = []
        self.attempts: dict[tuple[int, str], tuple[float, list[tuple[int, str]]]] = {}
        self._deltas: dict[int, list[int]] = {}
        self._woken: set[int] = set()
        self._depth = 0
        self._load()

    def _load(self) -> None:
        for row in self.conn.execute("SELECT * FROM queues"):
            self._cache(
                Queue(
                    id=row["id"],
                    name=row["name"],
                    fifo=bool(row["fifo"]),
                    attrs=json.loads(row["attrs"]),
                    tags=json.loads(row["tags"]),
                    created_s=row["created_s"],
                    modified_s=row["modified_s"],
                    purged_s=row["purged_s"],
                )
            )

    def _cache(self, queue: Queue) -> None:
        queue.arn = self.arn(queue.name)
        queue.refresh()
        self.queues[queue.name] = queue
        self.by_id[queue.id] = queue

    def _uncache(self, queue: Queue) -> None:
        self.queues.pop(queue.name, None)
        self.by_id.pop(queue.id, None)

    def close(self) -> None:
        """Checkpoint the WAL into the database file and close."""
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.conn.close()

    def now(self) -> float:
        return self.clock.now()

    def arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account_id}:{name}"

    def queue(self, name: str) -> Queue:
        queue = self.queues.get(name)
        if queue is None:
            raise sqs_error("QueueDoesNotExist", "The specified queue does not exist.")
        return queue

    def queue_by_arn(self, arn: str) -> Queue | None:
        prefix = f"arn:aws:sqs:{self.region}:{self.account_id}:"
        if not arn.startswith(prefix):
            return None
        return self.queues.get(arn[len(prefix) :])

    @contextmanager
    def tx(self) -> Iterator[None]:
        """One transaction; counters are flushed and listeners told only after it commits."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        self.conn.execute("BEGIN")
        try:
            yield
            self._flush_counters()
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            self._deltas.clear()
            self._woken.clear()
            self._reload_after_rollback()
            raise
        finally:
            self._depth = 0
        woken, self._woken = self._woken, set()
        for queue_id in woken:
            for listener in self.listeners:
                listener(queue_id)

    def _reload_after_rollback(self) -> None:
        self.queues.clear()
        self.by_id.clear()
        self._load()

    def bump(self, queue_id: int, state: int, delta: int) -> None:
        """Count a message entering (+1) or leaving (-1) a state; written at commit."""
        counts = self._deltas.get(queue_id)
        if counts is None:
            counts = self._deltas[queue_id] = [0, 0, 0]
        counts[state] += delta

    def pending(self, queue_id: int, state: int) -> int:
        """The not-yet-written counter change for a state in the current transaction."""
        counts = self._deltas.get(queue_id)
        return 0 if counts is None else counts[state]

    def discard_pending(self, queue_id: int) -> None:
        """Forget counter changes for a queue whose counters were just reset."""
        self._deltas.pop(queue_id, None)

    def wake(self, queue_id: int) -> None:
        """Note that messages may have become receivable in a queue (told after commit)."""
        self._woken.add(queue_id)

    def _flush_counters(self) -> None:
        for queue_id, (delayed, inflight, visible) in self._deltas.items():
            if delayed or inflight or visible:
                self.conn.execute(
                    "UPDATE queues SET n_delayed=n_delayed+?, n_inflight=n_inflight+?, "
                    "n_visible=n_visible+? WHERE id=?",
                    (delayed, inflight, visible, queue_id),
                )
        self._deltas.clear()

    def counts(self, queue: Queue) -> tuple[int, int, int]:
        """(delayed, in flight, visible) after applying due transitions."""
        with self.tx():
            self.maintain(queue)
        row = self.conn.execute(
            "SELECT n_delayed, n_inflight, n_visible FROM queues WHERE id=?", (queue.id,)
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def maintain(self, queue: Queue) -> None:
        """Apply due transitions for a queue (inside a transaction); cheap when none are due."""
        now = self.now()
        if now < queue.next_event_s:
            return
        from spotq.sqs import fifo, messages  # local: these modules import this one

        conn = self.conn
        for state in (DELAYED, IN_FLIGHT):
            if queue.fifo and state == IN_FLIGHT:
                fifo.release_expired(self, queue, now)
                continue
            moved = conn.execute(
                "UPDATE messages SET state=? WHERE queue_id=? AND state=? AND visible_at<=?",
                (VISIBLE, queue.id, state, now),
            ).rowcount
            if moved:
                self.bump(queue.id, state, -moved)
                self.bump(queue.id, VISIBLE, moved)
                self.wake(queue.id)
        messages.expire(self, queue, now - queue.retention_s)
        self._schedule(queue)

    def _schedule(self, queue: Queue) -> None:
        nxt = _NEVER
        for state in (DELAYED, IN_FLIGHT):
            row = self.conn.execute(
                "SELECT MIN(visible_at) FROM messages WHERE queue_id=? AND state=?",
                (queue.id, state),
            ).fetchone()
            if row[0] is not None:
                nxt = min(nxt, float(row[0]))
        queue.next_visible_s = nxt
        oldest = self.conn.execute(
            "SELECT MIN(sent_s) FROM messages WHERE queue_id=?", (queue.id,)
        ).fetchone()[0]
        expiry = _NEVER if oldest is None else float(oldest) + queue.retention_s
        queue.next_event_s = min(nxt, expiry)

    def note_deadline(self, queue: Queue, visible_at: float) -> None:
        """A message becomes visible at `visible_at`: make sure maintain() runs by then."""
        if visible_at < queue.next_event_s:
            queue.next_event_s = visible_at
        if visible_at < queue.next_visible_s:
            queue.next_visible_s = visible_at
            self.wake(queue.id)  # waiting receives re-arm their timers

    def tick(self) -> None:
        """Periodic housekeeping: due transitions everywhere, expired dedup ids and tombstones."""
        now = self.now()
        with self.tx():
            for queue in list(self.queues.values()):
                self.maintain(queue)
            self.conn.execute("DELETE FROM dedup WHERE expires_s<=?", (now,))
            self.conn.execute("DELETE FROM deleted_queues WHERE deleted_s<=?", (now - 60,))
        stale = [key for key, (expires_s, _) in self.attempts.items() if expires_s <= now]
        for key in stale:
            del self.attempts[key]
