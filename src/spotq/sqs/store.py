"""The queue store's core: the SQLite connection, transactions, the queue cache and the lazy
time-driven transitions (delays and visibility timeouts ending, retention expiry)."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from spotq.clock import Clock, SystemClock
from spotq.sqs import attributes, schema
from spotq.sqs.errors import sqs_error
from spotq.sqs.schema import DELAYED, IN_FLIGHT, VISIBLE

log = logging.getLogger(__name__)

DEFAULT_INFLIGHT_LIMIT = 120_000
# Due messages become visible. A visible message's visible_at orders receives: one whose
# visibility timeout ended goes back to its place by sent time, before newer ones (as in SQS).
_RELEASE = {
    DELAYED: "UPDATE messages SET state=? WHERE queue_id=? AND state=? AND visible_at<=?",
    IN_FLIGHT: "UPDATE messages SET state=?, visible_at=sent_s "
    "WHERE queue_id=? AND state=? AND visible_at<=?",
}
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
    # Messages per state (DELAYED, IN_FLIGHT, VISIBLE), kept exact in memory; rebuilt on load.
    counts: list[int] = field(default_factory=lambda: [0, 0, 0])

    def refresh(self) -> None:
        """Recompute the typed fields from `attrs`."""
        a = self.attrs
        self.visibility_s = int(a["VisibilityTimeout"])
        self.delay_s = int(a["DelaySeconds"])
        self.retention_s = int(a["MessageRetentionPeriod"])
        self.max_size_bytes = int(a["MaximumMessageSize"])
        self.wait_s = int(a["ReceiveMessageWaitTimeSeconds"])
        self.content_dedup = a.get("ContentBasedDeduplication") == "true"
        scope = a.get(attributes.CREATED_DEDUP_SCOPE, a.get("DeduplicationScope"))
        self.dedup_by_group = scope == "messageGroup"
        redrive = a.get("RedrivePolicy")
        if redrive:
            dlq_arn, self.max_receive_count = attributes.parse_redrive_policy(redrive)
            # In this server's own region, so that it compares equal to the target's `arn`.
            self.dlq_arn = attributes.rehome(dlq_arn, attributes.arn_region(self.arn))
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
        # One cursor for statements whose results are read at once (conn.execute makes a new
        # cursor per call): transaction control and the hot paths' statements, via run(). Its
        # rows are plain tuples (no sqlite3.Row built per row).
        self._cursor = self.conn.cursor()
        self._cursor.row_factory = None
        self.clock: Clock = clock or SystemClock()
        self.region = region
        self.account_id = account_id
        self.inflight_limit = inflight_limit
        self.queues: dict[str, Queue] = {}
        self.by_id: dict[int, Queue] = {}
        # (queue id, how many messages became receivable or None if unknown): called after a
        # commit that may have made messages receivable there.
        self.listeners: list[Callable[[int, int | None], None]] = []
        self.attempts: dict[tuple[int, str], tuple[float, list[tuple[int, str]]]] = {}
        self._undo: list[tuple[Queue, int, int]] = []
        self._cache_dirty = False
        self._woken: dict[int, int | None] = {}
        self._depth = 0
        self._tx = _Transaction(self)
        # Set by the HTTP server, which calls flush() after every reply: work passed to
        # after_reply() then runs once the reply is on the wire instead of before it.
        self.defer_allowed = False
        self._later: list[tuple[int, Callable[[Queue], None]]] = []
        self._ready_key = 0
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
        counted = self.conn.execute(
            "SELECT queue_id, state, COUNT(*) FROM messages GROUP BY queue_id, state"
        )
        for queue_id, state, count in counted:
            queue = self.by_id.get(queue_id)
            if queue is not None:
                queue.counts[state] = count
        top = self.conn.execute(
            "SELECT MAX(ready_key) FROM fifo_heads UNION ALL SELECT MAX(id) FROM messages"
        ).fetchall()
        self._ready_key = max([self._ready_key, *(int(row[0]) for row in top if row[0])])

    def next_ready_key(self) -> int:
        """A FIFO group's place in the line of ready groups: later than any given before (gaps
        after a rollback are harmless)."""
        self._ready_key += 1
        return self._ready_key

    def _cache(self, queue: Queue) -> None:
        self._cache_dirty = True
        queue.arn = self.arn(queue.name)
        queue.refresh()
        self.queues[queue.name] = queue
        self.by_id[queue.id] = queue

    def _uncache(self, queue: Queue) -> None:
        self._cache_dirty = True
        self.queues.pop(queue.name, None)
        self.by_id.pop(queue.id, None)

    def close(self) -> None:
        """Run deferred work, checkpoint the WAL into the database file and close."""
        try:
            self.flush()
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.conn.close()

    def now(self) -> float:
        return self.clock.now()

    def run(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Execute one statement on the store's shared cursor: its result (rows as plain tuples,
        rowcount) must be read before the next run()."""
        return self._cursor.execute(sql, params)

    def arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account_id}:{name}"

    def queue(self, name: str) -> Queue:
        queue = self.queues.get(name)
        if queue is None:
            raise sqs_error("QueueDoesNotExist", "The specified queue does not exist.")
        return queue

    def queue_by_arn(self, arn: str) -> Queue | None:
        """The queue an ARN of this account names, written for any region."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[:3] != ["arn", "aws", "sqs"] or parts[4] != self.account_id:
            return None
        return self.queues.get(parts[5])

    def tx(self) -> _Transaction:
        """One transaction; listeners are told only after it commits, and a rollback also
        reverts the in-memory counters (and the queue cache, if it changed). Nested uses join
        the outer transaction."""
        return self._tx

    def after_reply(self, queue: Queue, work: Callable[[Queue], None]) -> None:
        """Run `work(queue)` in its own transaction after the current reply is sent (at once when
        no server defers), and not at all if the queue is deleted meanwhile. Only for work whose
        loss in a crash SQS's semantics allow: deleting received messages, marking received
        ones in flight (AWS too may deliver a message again). Any transaction that starts
        first runs it before itself, so every later request sees its effect."""
        if not self.defer_allowed:
            with self.tx():
                work(queue)
            return
        self._later.append((queue.id, work))

    def flush(self) -> None:
        """Run the work deferred by after_reply(); a failure is logged and rolled back (the
        messages concerned are delivered again, as after a crash)."""
        while self._later:
            pending, self._later = self._later, []
            for queue_id, work in pending:
                queue = self.by_id.get(queue_id)
                if queue is None:  # deleted since the reply
                    continue
                try:
                    with self.tx():
                        work(queue)
                except Exception:
                    log.exception("deferred SQS store work failed")

    def _begin(self) -> None:
        if self._depth:
            self._depth += 1
            return
        if self._later:
            self.flush()
        self._cache_dirty = False
        self._cursor.execute("BEGIN")
        self._depth = 1

    def _end(self, failed: bool) -> None:
        if self._depth > 1:
            self._depth -= 1
            return
        try:
            if failed:
                self._abort()
            else:
                try:
                    self._cursor.execute("COMMIT")
                except BaseException:
                    self._abort()
                    raise
        finally:
            self._depth = 0
            self._undo.clear()
        if failed:
            return
        woken, self._woken = self._woken, {}
        for queue_id, count in woken.items():
            for listener in self.listeners:
                listener(queue_id, count)

    def _abort(self) -> None:
        self._cursor.execute("ROLLBACK")
        self._rollback_memory()

    def _rollback_memory(self) -> None:
        self._woken.clear()
        for queue, state, delta in reversed(self._undo):
            queue.counts[state] -= delta
        if self._cache_dirty:
            self.queues.clear()
            self.by_id.clear()
            self._load()
        for queue in self.queues.values():
            queue.next_event_s = 0.0

    def bump(self, queue_id: int, state: int, delta: int) -> None:
        """Count a message entering (+1) or leaving (-1) a state (reverted on rollback)."""
        queue = self.by_id[queue_id]
        queue.counts[state] += delta
        self._undo.append((queue, state, delta))

    def wake(self, queue_id: int, count: int | None = None) -> None:
        """Note that `count` messages (None: an unknown number) may have become receivable in a
        queue; listeners are told after the commit."""
        if queue_id in self._woken:
            before = self._woken[queue_id]
            self._woken[queue_id] = None if before is None or count is None else before + count
        else:
            self._woken[queue_id] = count

    def counts(self, queue: Queue) -> tuple[int, int, int]:
        """(delayed, in flight, visible) after applying due transitions."""
        with self.tx():
            self.maintain(queue)
        delayed, inflight, visible = queue.counts
        return delayed, inflight, visible

    def settled(self, queue: Queue) -> bool:
        """Whether a read of `queue` needs no transaction first: no work deferred by
        after_reply() is pending and maintain() has no transition due."""
        return not self._later and not self._depth and self.now() < queue.next_event_s

    def maintain(self, queue: Queue) -> None:
        """Apply due transitions for a queue (inside a transaction); cheap when none are due."""
        now = self.now()
        if now < queue.next_event_s:
            return
        from spotq.sqs import fifo, messages  # local: these modules import this one

        conn = self.conn
        for state in (DELAYED, IN_FLIGHT):
            if queue.fifo:  # a head becoming visible unblocks its group
                fifo.release_due(self, queue, state, now)
                continue
            moved = conn.execute(_RELEASE[state], (VISIBLE, queue.id, state, now)).rowcount
            if moved:
                self.bump(queue.id, state, -moved)
                self.bump(queue.id, VISIBLE, moved)
                self.wake(queue.id, moved)
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


class _Transaction:
    """`with store.tx():` as a plain context manager (a generator-based one costs more, and
    every request opens one)."""

    __slots__ = ("_store",)

    def __init__(self, store: SqsStore) -> None:
        self._store = store

    def __enter__(self) -> None:
        self._store._begin()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> Literal[False]:
        self._store._end(exc_type is not None)
        return False
