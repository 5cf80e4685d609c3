"""The visibility heartbeat: while a batch is held, a background thread extends its messages'
visibility every half visibility timeout, so a long job is not delivered twice.

One long-lived thread per worker; a batch is tracked and untracked around its work. Extensions
happen under a lock that `untrack` takes too, so none can land after the worker changes a
message's visibility itself (retry backoff, release)."""

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
        self._held: list[Delivery] = []
        self._last_s = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.beats = 0

    def track(self, deliveries: Sequence[Delivery]) -> None:
        """Start keeping `deliveries` invisible (they were just received)."""
        with self._lock:
            self._held = list(deliveries)
            self._last_s = time.monotonic()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="spotq-heartbeat", daemon=True)
            self._thread.start()

    def untrack(self) -> None:
        """Stop extending; waits for an extension in progress."""
        with self._lock:
            self._held = []

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
        for error in set_visibility(self._sqs, self._held, self._visibility_s):
            if self._on_error is not None:
                self._on_error(f"heartbeat: {error}")
        self.beats += 1
