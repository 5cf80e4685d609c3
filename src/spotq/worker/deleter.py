"""Deletes of finished jobs' messages, sent from one background thread.

A delete is the last step of a job (its success is recorded first), so nothing after it waits for
the reply: the handler loop hands the batch over and goes on with the next job instead of waiting
a round trip per ten jobs. The messages stay under the heartbeat until their delete has been sent.
A worker killed with deletes still queued here loses nothing: the redelivered message of a
succeeded job is deleted unrun. `close` sends whatever was handed over before it returns.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

from spotq.worker.delivery import Delivery, delete
from spotq.worker.heartbeat import Heartbeat

_CLOSE_WAIT_S = 30.0  # at most this long for the last deletes at exit (SQS retries included)


class BackgroundDeleter:
    def __init__(
        self, sqs: Any, heartbeat: Heartbeat, on_errors: Callable[[list[str]], None]
    ) -> None:
        self._sqs = sqs
        self._heartbeat = heartbeat
        self._on_errors = on_errors
        self._batches: queue.SimpleQueue[list[Delivery] | None] = queue.SimpleQueue()
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
        while (batch := self._batches.get()) is not None:
            try:
                errors = delete(self._sqs, batch)
                self._heartbeat.drop(batch)
                if errors:
                    self._on_errors(errors)
            except Exception as exc:  # never let the thread die with deletes still queued
                self._on_errors([f"{type(exc).__name__}: {exc}"])
            finally:
                with self._settled:
                    self._pending -= 1
                    self._settled.notify_all()
