"""Storage failures a caller must tell apart: a full disk is not a broken store. The job API answers
a full disk with 507 and the promise that nothing was recorded, so a client knows to retry later."""

from __future__ import annotations

import errno
import sqlite3

from spotq.errors import StorageError

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_PRIMARY_CODE_MASK = 0xFF  # SQLite extended result codes keep the primary code in the low byte


class StorageFull(StorageError):
    """The disk, a quota or a database size limit is full; the write did not happen."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether an SQLite or OS error means "no space left"."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code is not None and code & _PRIMARY_CODE_MASK == sqlite3.SQLITE_FULL
    return isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS


def storage_error(what: str, exc: BaseException) -> StorageError:
    """A StorageError (StorageFull for a full disk) naming what failed and why."""
    cls = StorageFull if is_disk_full(exc) else StorageError
    return cls(f"{what}: {exc}")
