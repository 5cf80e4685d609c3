"""Quick handler calls run on the worker's own thread, under a watchdog.

Handing a call to the handler thread and waiting for it costs two thread wake-ups; at batch size
1 that is one pair per job, and on a busy 2-core host each wake-up waits for a core. With a no-op
handler, running the call on the worker's thread instead gave 2,257 against 1,600 jobs/s
(bench/jobs_throughput.py's spotq-b1-batchsub row, medians of 5 rounds interleaved with the
tree before; docs/benchmarks.md). So once the last
`QUICK_STREAK` calls each took at most `QUICK_CALL_S`, the worker runs calls itself.

The handler thread is also what let the worker give up on a call (timeout, memory limit, a drain's
grace running out) while it kept running. For an inline call a watchdog thread does the checking:
every `TICK_S` it asks whether the running call must be given up, and if so claims it and calls
`give_up(reason)`, which ends the worker (spotq.worker.runtime: the call's jobs failed or released,
prefetched messages given back, then the process exits). The claim and the call's return are
exclusive: a call that returns after the claim raises `GaveUp` instead of delivering its results.
Nothing wakes the watchdog per call; it reads the running call's deadline under a lock that is
never contended on the fast path.
"""

from __future__ import annotations

import _thread
import threading
import time
from collections.abc import Callable

from spotq.worker.handler_thread import Call, Done

QUICK_CALL_S = 0.01  # a call this quick pays ~3 % or more for the hand-off
QUICK_STREAK = 4  # this many quick calls in a row before calls run inline
TICK_S = 0.05  # how often the watchdog checks a running inline call


class GaveUp(Exception):
    """The watchdog gave up the inline call that just returned (the worker has ended)."""


class QuickCalls:
    """Whether recent handler calls were quick enough to run inline."""

    def __init__(self) -> None:
        self._streak = 0

    def note(self, call_s: float) -> None:
        self._streak = self._streak + 1 if call_s <= QUICK_CALL_S else 0

    @property
    def quick(self) -> bool:
        return self._streak >= QUICK_STREAK


class Watchdog:
    """Runs calls on the caller's thread; a daemon thread checks each one while it runs.

    `check(deadline_s)` (on the watchdog thread) names why the running call must be given up, or
    None; `give_up(reason)` then ends the worker (it normally does not return: the process
    exits)."""

    def __init__(
        self,
        check: Callable[[float], str | None],
        give_up: Callable[[str], None],
        tick_s: float = TICK_S,
    ) -> None:
        self._check = check
        self._give_up = give_up
        self._tick_s = tick_s
        self._lock = _thread.allocate_lock()
        self._deadline_s: float | None = None  # of the running call; None between calls
        self._claimed = False
        self._ended = Done()  # set once give_up has returned
        self._thread: threading.Thread | None = None

    def run(self, call: Call, deadline_s: float) -> None:
        """Run `call` here, watched until `deadline_s` (monotonic). Raises GaveUp if the
        watchdog gave it up meanwhile (after waiting for give_up to finish)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="spotq-watchdog", daemon=True)
            self._thread.start()
        with self._lock:
            self._deadline_s = deadline_s
        try:
            call.run()
        finally:
            with self._lock:
                self._deadline_s = None
                claimed = self._claimed
        if claimed:
            self._ended.wait()
            raise GaveUp

    def _watch(self) -> None:
        while True:
            time.sleep(self._tick_s)
            with self._lock:
                if self._deadline_s is None:
                    continue
                try:
                    reason = self._check(self._deadline_s)
                except Exception:  # a failed check (say, reading RSS) must not end the watching
                    continue
                if reason is None:
                    continue
                self._claimed = True
            try:
                self._give_up(reason)
            finally:
                self._ended.set()
            return
