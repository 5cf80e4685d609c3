"""The thread that runs the app's handler. One long-lived daemon thread per worker: the main loop
waits on a call with a timeout (and stays free to notice a drain), no thread is started per batch,
and a handler that never returns cannot keep the process alive past its exit."""

from __future__ import annotations

import _thread
import queue
import threading
from collections.abc import Callable
from typing import Any


class Done:
    """A flag set once and waited on with a timeout, on one bare lock (held until set). A
    threading.Event builds a Condition and a fresh waiter lock on every wait; at batch size 1 a
    worker waits on one call per job."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._lock.acquire()

    def set(self) -> None:
        """Call once."""
        self._lock.release()

    def is_set(self) -> bool:
        return not self._lock.locked()

    def wait(self, timeout: float | None = None) -> bool:
        """True once set; False if `timeout` seconds passed first."""
        got = self._lock.acquire(timeout=-1 if timeout is None else timeout)
        if got:
            self._lock.release()  # stays set for the next wait
        return got


class Call:
    """One handler call: `done` is set once `value` or `error` is filled in."""

    def __init__(self, fn: Callable[[], list[Any]]) -> None:
        self.fn = fn
        self.done = Done()
        self.value: list[Any] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.value = self.fn()
        except BaseException as exc:
            self.error = exc
        finally:
            self.done.set()


class HandlerThread:
    """Runs calls one at a time, in order, on a single daemon thread."""

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[Call] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def submit(self, fn: Callable[[], list[Any]]) -> Call:
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="spotq-handler", daemon=True)
            self._thread.start()
        call = Call(fn)
        self._calls.put(call)
        return call

    def _serve(self) -> None:
        while True:
            self._calls.get().run()
