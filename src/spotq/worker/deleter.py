"""Deletes of finished jobs' messages, sent from one background thread.

A delete is the last step of a job (its success is recorded first), so nothing after it waits for
the reply: the handler loop hands the batch over and goes on with the next job instead of waiting
a round trip per ten jobs. The messages stay under the heartbeat until their delete has been sent.
A worker killed with deletes still queued here loses nothing: the redelivered message of a
succeeded job is deleted unrun. `close` sends whatever was handed over before it returns.

Deletes handed over one or two at a time (a worker taking jobs as they trickle in, flushing each
time it runs out of messages) wait up to LINGER_S for company, so that one DeleteMessageBatch
call carries several of them instead of one call per job; deletes that fill whole calls (a
multiple of ten) go at once. Once the worker drains (`hurry`), nothing waits: a stopping
worker's last deletes go at once, so the queue shows nothing in flight as soon as it can.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from spotq.worker.delivery import MAX_BATCH_ENTRIES, Delivery, delete
from spotq.worker.heartbeat import Heartbeat

_CLOSE_WAIT_S = 30.0  # at most this long for the last deletes at exit (SQS retries included)
LINGER_S = 0.05  # a delete handed over waits at most this long for others to share its call
_HURRY = "hurry"  # in the queue of batches: stop lingering


class BackgroundDeleter:
    def __init__(
        self, sqs: Any, heartbeat: Heartbeat, on_errors: Callable[[list[str]], None]
    ) -> None:
        self._sqs = sqs
        self._heartbeat = heartbeat
        self._on_errors = on_errors
        self._batches: queue.SimpleQueue[list[Delivery] | str | None] = queue.SimpleQueue()
        self._linger_s = LINGER_S
        self._thread: threading.Thread | None = None
        self._pending = 0  # handed over, reply not yet back
        self._settled = threading.Condition()

    def submit(self, deliveries: Sequence[Delivery]) -> None:
        """Delete these messages soon (in batches of up to 10 per call)."""
        if not deliveries:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="spotq-delete", daemon=True)
            self._thread.start()
        with self._settled:
            self._pending += 1
        self._batches.put(list(deliveries))

    def hurry(self) -> None:
        """From now on send every delete at once (the worker is draining). Safe to call from a
        signal handler."""
        self._batches.put(_HURRY)

    def settle(self, timeout_s: float) -> bool:
        """Wait (at most `timeout_s`) until every delete handed over has had its reply, so the
        queue's in-flight count and the heartbeat's agree on them. True when settled."""
        with self._settled:
            return self._settled.wait_for(lambda: self._pending == 0, timeout_s)

    def close(self) -> None:
        """Send what was handed over, then stop the thread."""
        if self._thread is None:
            return
        self._batches.put(None)
        self._thread.join(_CLOSE_WAIT_S)

    def _run(self) -> None:
        closing = False
        while not closing:
            first = self._batches.get()
            if first is None:
                return
            if isinstance(first, str):  # _HURRY
                self._linger_s = 0.0
                continue
            batches, closing = self._gather(first)
            deliveries = [d for batch in batches for d in batch]
            try:
                errors = delete(self._sqs, deliveries)
                self._heartbeat.drop(deliveries)
                if errors:
                    self._on_errors(errors)
            except Exception as exc:  # never let the thread die with deletes still queued
                self._on_errors([f"{type(exc).__name__}: {exc}"])
            finally:
                with self._settled:
                    self._pending -= len(batches)
                    self._settled.notify_all()

    def _gather(self, first: list[Delivery]) -> tuple[list[list[Delivery]], bool]:
        """`first` and whatever else is handed over within the linger of it, until the deletes
        waiting fill whole calls (a multiple of 10); True as the second value when close() came
        meanwhile."""
        batches = [first]
        count = len(first)
        deadline_s = time.monotonic() + self._linger_s
        while count % MAX_BATCH_ENTRIES:
            wait_s = deadline_s - time.monotonic()
            if wait_s <= 0:
                break
            try:
                more = self._batches.get(timeout=wait_s)
            except queue.Empty:
                break
            if more is None:
                return batches, True
            if isinstance(more, str):  # _HURRY: send what is here now
                self._linger_s = 0.0
                break
            batches.append(more)
            count += len(more)
        return batches, False
