"""The memory guard: the worker takes no new batch while its RSS is over a fraction of its memory
limit (the app's memory_limit_bytes, else the cgroup limit, else the machine's RAM)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import psutil

_CGROUP_FILES = (
    Path("/sys/fs/cgroup/memory.max"),  # cgroup v2
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),  # cgroup v1
)


def cgroup_limit_bytes(files: tuple[Path, ...] = _CGROUP_FILES) -> int | None:
    """The container's memory limit, or None when unlimited or not in a cgroup."""
    total = psutil.virtual_memory().total
    for path in files:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:  # v1 "unlimited" is a huge number
            return int(text)
    return None


def resolve_limit_bytes(configured_bytes: int | None) -> int:
    if configured_bytes is not None:
        return configured_bytes
    return cgroup_limit_bytes() or int(psutil.virtual_memory().total)


_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_statm_fds: dict[int, int] = {}  # pid -> an open /proc/PID/statm (re-opened after a fork)


def process_rss_bytes() -> int:
    """This process's resident set size. It is checked before every handler call, so on Linux it
    is one pread of an open /proc/PID/statm (resident pages are its second field), about 2 µs,
    where psutil's process lookup takes about 60; elsewhere psutil."""
    pid = os.getpid()
    try:
        fd = _statm_fds.get(pid)
        if fd is None:
            fd = _statm_fds[pid] = os.open(f"/proc/{pid}/statm", os.O_RDONLY | os.O_CLOEXEC)
        return int(os.pread(fd, 256, 0).split()[1]) * _PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return int(psutil.Process().memory_info().rss)


class MemoryGuard:
    """`over()` is True while RSS > threshold × limit: the worker takes no new batch.
    `over_limit()` is True once RSS > limit: a handler is using more than the worker may have,
    so the worker fails the running jobs and stops before the kernel's OOM killer picks a victim
    (which could be any process on the host, and would leave no error on the jobs)."""

    def __init__(
        self,
        threshold: float,
        limit_bytes: int,
        rss_fn: Callable[[], int] = process_rss_bytes,
    ) -> None:
        self.threshold = threshold
        self.limit_bytes = limit_bytes
        self._rss_fn = rss_fn
        self.last_rss_bytes = 0

    def over(self) -> bool:
        self.last_rss_bytes = self._rss_fn()
        return self.last_rss_bytes > self.threshold * self.limit_bytes

    def over_limit(self) -> bool:
        self.last_rss_bytes = self._rss_fn()
        return self.last_rss_bytes > self.limit_bytes
