"""SIGTERM and SIGINT start a drain; a second signal asks to release held jobs at once."""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType


def install_drain_signals(request_drain: Callable[[str], None]) -> Callable[[], None]:
    """Route SIGTERM/SIGINT to `request_drain(name)`; return a function restoring the old ones.

    `request_drain` must only set flags: it runs inside a signal handler."""
    previous: dict[int, object] = {}

    def handle(signum: int, frame: FrameType | None) -> None:
        request_drain(signal.Signals(signum).name)

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, handle)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)  # type: ignore[arg-type]

    return restore
