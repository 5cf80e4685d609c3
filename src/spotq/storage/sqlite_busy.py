"""Waiting for SQLite's locks in short steps.

SQLite's own busy handler (the `timeout` of `sqlite3.connect`) sleeps 1, 2, 5, 10, ... ms between
tries. The job store is written by the job API and every worker process, each committing small
transactions (about 0.1 ms) hundreds of times a second: most collisions clear within a fraction of
its first step, so each one cost a worker a whole millisecond, and at a few hundred jobs a second
those sleeps, not the work, set the pace. So connections here are opened with no busy timeout, and
a statement or transaction that finds the database busy is tried again after 20 µs, doubling up to
2 ms, for as long as the caller allows (30 s by default, what the busy timeout was).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

BUSY_TIMEOUT_S = 30.0
_FIRST_WAIT_S = 20e-6
_LONGEST_WAIT_S = 2e-3
_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether an error means another connection holds a lock (worth trying again)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _BUSY_CODES


def retry_busy(attempt: Callable[[], T], timeout_s: float | None = None) -> T:
    """`attempt()`, tried again while it fails because the database is busy; the last busy
    error is raised once `timeout_s` (default BUSY_TIMEOUT_S) has passed. `attempt` must leave
    nothing half done when it raises (a transaction rolls itself back), so trying it again is
    safe."""
    deadline_s = time.monotonic() + (BUSY_TIMEOUT_S if timeout_s is None else timeout_s)
    wait_s = _FIRST_WAIT_S
    while True:
        try:
            return attempt()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() + wait_s > deadline_s:
                raise
        time.sleep(wait_s)
        wait_s = min(_LONGEST_WAIT_S, wait_s * 2)
