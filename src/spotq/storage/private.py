"""Files and directories only their owner can read: a stack's data dir holds job inputs, results
and its configuration, so it is created 0700 and its files 0600 whatever the process umask is.
SQLite creates a database's -wal and -shm files with the database file's own mode, so creating the
database file private first covers them too."""

from __future__ import annotations

import os
from pathlib import Path

from spotq.atomic_file import write_bytes_atomic

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path, *, tighten: bool = False) -> Path:
    """Create `path` (and missing parents) with mode 0700; with `tighten`, also chmod an existing
    one. Parents that already exist are left alone: they may be the user's own directories."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=DIR_MODE, exist_ok=True)
        directory.chmod(DIR_MODE)  # mkdir's mode is masked by the umask
    if tighten and path.is_dir():
        path.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 if it does not exist, and make an existing one 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write `path` whole with mode 0600, atomically: a reader (a worker waiting for stack.json)
    sees no file, the old content or the new, never a half-written one."""
    write_bytes_atomic(path, data, FILE_MODE)
