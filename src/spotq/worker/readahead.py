"""Read-ahead: the next receive on the normal queue goes out while the handler runs the last
batch the worker holds, so the next batch is there when the call ends instead of one round trip
later. It is a non-waiting receive on a background thread; what it returns is held (heartbeat) at
once, like any prefetched message, and given back at once on a drain or a memory pause.

It only goes out when it cannot delay other workers' jobs more than prefetch itself may (see
PrefetchBuffer.read_ahead_size): handler calls are quick, and the last receive came back full, so
the queue has more.
"""

from __future__ import annotations

from collections.abc import Callable

from spotq.worker.delivery import Delivery
from spotq.worker.handler_thread import Call, HandlerThread


class ReadAhead:
    """At most one receive in flight; `collect` returns what it got."""

    def __init__(
        self,
        receive_now: Callable[[int], list[Delivery]],
        hold: Callable[[list[Delivery]], None],
    ) -> None:
        self._receive_now = receive_now
        self._hold = hold
        self._thread = HandlerThread()  # one long-lived daemon thread, calls in order
        self._call: Call | None = None
        self.asked = 0

    @property
    def in_flight(self) -> bool:
        return self._call is not None

    def start(self, size: int) -> None:
        """Send a non-waiting receive for up to `size` messages (unless one is in flight)."""
        if self._call is None and size > 0:
            self.asked = size
            self._call = self._thread.submit(lambda: self._fetch(size))

    def _fetch(self, size: int) -> list[Delivery]:
        received = self._receive_now(size)
        self._hold(received)
        return received

    def collect(self) -> list[Delivery]:
        """What the receive in flight got (waiting for it), or [] if none was sent. Raises the
        receive's error."""
        call, self._call = self._call, None
        if call is None:
            return []
        call.done.wait()
        if call.error is not None:
            raise call.error
        return list(call.value)

    def collect_quietly(self) -> list[Delivery]:
        """`collect`, with a failed receive counted as nothing received (to give messages back
        on the way out, where a receive error has nobody to retry it)."""
        try:
            return self.collect()
        except Exception:
            return []
