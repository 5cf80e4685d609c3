"""Prefetch: messages received ahead of the handler, fed to it `batch_size` at a time.

With `batch_size` 1 a worker that receives one message per call spends most of a short job on
queue round trips; receiving up to 10 at once and keeping the rest in a buffer cuts that tenfold.
The cost is that buffered messages wait in this worker while another might be idle, so the size
is bounded by time: with `prefetch=None` the worker receives enough for about `HOLD_S` of handler
calls at their running average duration (one batch until it has measured one), at most 10. An
explicit `prefetch` fixes the receive size instead.

When calls are that quick, the next receive goes out while the last held batch runs
(spotq.worker.readahead), so the handler does not wait a round trip for it.

Buffered messages are kept invisible by the heartbeat and released at once on a drain or a memory
pause (spotq.worker.runtime); inputs are fetched only when a message's turn comes, so the buffer
holds message bodies, not inputs.
"""

from __future__ import annotations

import math
from collections import deque

from spotq.worker.delivery import MAX_BATCH_ENTRIES, Delivery
from spotq.worker.share import SHARE_MIN_CALL_S

HOLD_S = 1.0  # with automatic sizing, how long a buffered message may wait for its call
_SMOOTHING = 0.3  # weight of the latest call in the running average


class PrefetchBuffer:
    """Received messages not yet handed to the handler, oldest first."""

    def __init__(self, batch_size: int, fixed: int | None = None) -> None:
        self._batch_size = batch_size
        self._fixed = fixed
        self._call_s: float | None = None
        self._held: deque[Delivery] = deque()

    def __len__(self) -> int:
        return len(self._held)

    @property
    def receive_size(self) -> int:
        """How many messages the next receive asks for."""
        if self._fixed is not None:
            return self._fixed
        if self._call_s is None:
            return self._batch_size
        calls = max(1, math.floor(HOLD_S / max(self._call_s, 1e-6)))
        return max(self._batch_size, min(MAX_BATCH_ENTRIES, calls * self._batch_size))

    def read_ahead_size(self) -> int:
        """How many messages a read-ahead may ask for (0: none). Read-ahead messages wait one
        more handler call than prefetched ones, so it needs measured calls quick enough that a
        whole receive of them plus that call still fits in HOLD_S."""
        if self._call_s is None:
            return 0
        size = self.receive_size
        calls = math.ceil(size / self._batch_size) + 1
        return size if calls * self._call_s <= HOLD_S else 0

    @property
    def slow_calls(self) -> bool:
        """Measured handler calls take at least SHARE_MIN_CALL_S (see spotq.worker.share)."""
        return self._call_s is not None and self._call_s >= SHARE_MIN_CALL_S

    def note_call(self, call_s: float) -> None:
        """One handler batch took `call_s` from start to stored results."""
        if self._call_s is None:
            self._call_s = call_s
        else:
            self._call_s += _SMOOTHING * (call_s - self._call_s)

    def split(self, received: list[Delivery]) -> list[Delivery]:
        """The first batch of a fresh receive; the rest is kept for later calls."""
        self._held.extend(received[self._batch_size :])
        return received[: self._batch_size]

    def take(self) -> list[Delivery]:
        """The next batch from the buffer (up to batch_size messages)."""
        n = min(self._batch_size, len(self._held))
        return [self._held.popleft() for _ in range(n)]

    def take_all(self) -> list[Delivery]:
        """Everything buffered (to release it)."""
        held = list(self._held)
        self._held.clear()
        return held
