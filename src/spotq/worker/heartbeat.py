"""The visibility heartbeat: while a batch runs, a background thread extends its messages'
visibility every half visibility timeout, so a long job is not delivered twice."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from spotq.worker.delivery import Delivery, set_visibility


class Heartbeat:
    """Use as a context manager around the work on a batch."""

    def __init__(
        self,
        sqs: Any,
        deliveries: Sequence[Delivery],
        visibility_timeout_s: int,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self._sqs = sqs
        self._deliveries = list(deliveries)
        self._visibility_s = visibility_timeout_s
        self._interval_s = max(0.5, visibility_timeout_s / 2)
        self._on_error = on_error
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spotq-heartbeat", daemon=True)
        self.beats = 0

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop and wait, so no extension can land after the caller changes visibility itself."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self._extend()

    def _extend(self) -> None:
        for error in set_visibility(self._sqs, self._deliveries, self._visibility_s):
            if self._on_error is not None:
                self._on_error(f"heartbeat: {error}")
        self.beats += 1
