"""The visibility heartbeat: while messages are held (prefetched or running), a background thread
extends their visibility every half visibility timeout, so a long job is not delivered twice and
a prefetched message does not reappear while it waits its turn.

One long-lived thread per worker. Messages are added when received and dropped when the worker is
done with them; extensions happen under a lock that `drop` takes too, so none can land after the
worker changes a message's visibility itself (retry backoff, release)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from spotq.worker.delivery import Delivery, set_visibility


class Heartbeat:
    def __init__(
        self,
        sqs: Any,
        visibility_timeout_s: int,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self._sqs = sqs
        self._visibility_s = visibility_timeout_s
        self.interval_s = max(0.5, visibility_timeout_s / 2)
        self._on_error = on_error
        self._lock = threading.Lock()
        self._held: dict[str, Delivery] = {}  # by receipt handle
        self._last_s = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.beats = 0

    def add(self, deliveries: Sequence[Delivery]) -> None:
        """Start keeping `deliveries` invisible (they were just received). The clock of the next
        extension restarts when nothing was held before."""
        with self._lock:
            if not self._held:
                self._last_s = time.monotonic()
            for delivery in deliveries:
                self._held[delivery.receipt_handle] = delivery
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="spotq-heartbeat", daemon=True)
            self._thread.start()

    def drop(self, deliveries: Sequence[Delivery]) -> None:
        """Stop extending these; waits for an extension in progress."""
        with self._lock:
            for delivery in deliveries:
                self._held.pop(delivery.receipt_handle, None)

    @property
    def held(self) -> int:
        return len(self._held)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        tick_s = min(1.0, self.interval_s / 4)
        while not self._stop.wait(tick_s):
            with self._lock:
                if self._held and time.monotonic() - self._last_s >= self.interval_s:
                    self._extend()

    def _extend(self) -> None:
        self._last_s = time.monotonic()
        for error in set_visibility(self._sqs, list(self._held.values()), self._visibility_s):
            if self._on_error is not None:
                self._on_error(f"heartbeat: {error}")
        self.beats += 1
