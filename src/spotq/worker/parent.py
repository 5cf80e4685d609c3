"""A worker started by a supervisor dies with it, whichever way the supervisor ends.

The supervisor (the local fleet) keeps the write end of a pipe and passes the read end to each
worker in $SPOTQ_PARENT_FD. Nothing is ever written: when the supervisor exits — normally, by an
exception, or by kill -9 — the kernel closes the write end and the worker's read returns end of
file. The worker then releases what it holds at once (a second drain request) and, in case a
handler is stuck or the queue is gone with its parent, exits regardless after `hard_exit_s`.
A pipe works for every way a process can end, which PR_SET_PDEATHSIG (tied to the parent *thread*
that spawned the child) does not.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from spotq.errors import ConfigError

ENV_PARENT_FD = "SPOTQ_PARENT_FD"
EXIT_PARENT_GONE = 5


def parent_fd(environ: Mapping[str, str]) -> int | None:
    """The inherited read end named by $SPOTQ_PARENT_FD (None: no supervisor to watch)."""
    text = environ.get(ENV_PARENT_FD, "")
    if not text.isdigit():
        return None
    fd = int(text)
    try:
        os.fstat(fd)
    except OSError:
        return None
    return fd


def watch_parent(
    fd: int,
    on_gone: Callable[[], None],
    hard_exit_s: float = 3.0,
    exit_fn: Callable[[int], None] = os._exit,
) -> threading.Thread:
    """Block on `fd` in a daemon thread; at end of file call `on_gone()`, then `exit_fn` after
    `hard_exit_s` unless the process has exited by itself first."""

    def wait() -> None:
        with contextlib.suppress(OSError):
            while os.read(fd, 4096):
                pass
        on_gone()
        threading.Event().wait(hard_exit_s)
        exit_fn(EXIT_PARENT_GONE)

    thread = threading.Thread(target=wait, name="spotq-parent-watch", daemon=True)
    thread.start()
    return thread


class ParentGone(Exception):
    """The supervisor ended while this worker waited for it."""


def wait_for_file(path: Path, timeout_s: float, fd: int | None, poll_s: float = 0.02) -> None:
    """Return once `path` exists (the supervisor writes stack.json, atomically, when its stack
    is up); ConfigError after `timeout_s`, ParentGone as soon as the supervisor named by `fd`
    ends (its pipe reads end of file)."""
    deadline_s = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() >= deadline_s:
            raise ConfigError(f"--stack-config: {path} did not appear within {timeout_s:g} s")
        if fd is None:
            time.sleep(poll_s)
        elif select.select([fd], [], [], poll_s)[0]:  # nothing is ever written: end of file
            raise ParentGone()
