"""The thread that runs the app's handler. One long-lived daemon thread per worker: the main loop
waits on a call with a timeout (and stays free to notice a drain), no thread is started per batch,
and a handler that never returns cannot keep the process alive past its exit."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any


class Call:
    """One handler call: `done` is set once `value` or `error` is filled in."""

    def __init__(self, fn: Callable[[], list[Any]]) -> None:
        self.fn = fn
        self.done = threading.Event()
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
