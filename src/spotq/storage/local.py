"""A blob store on a local directory (fsspec's local filesystem). Writes are atomic: a temporary
file beside the target is renamed over it, so a reader sees the old bytes or the new, never part,
and writing the same key twice (a repeated job) leaves one whole result."""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from pathlib import Path

from fsspec.implementations.local import LocalFileSystem

from spotq.errors import StorageError
from spotq.storage.errors import storage_error
from spotq.storage.private import DIR_MODE, FILE_MODE, private_dir

# Keys are made by spotq (inputs/<job id>, results/<job id>.json); anything else is refused so a
# key can never climb out of the base directory.
_KEY_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")


def check_key(key: str) -> str:
    """Return `key` if it is a safe relative storage key, else raise StorageError."""
    if len(key) > 512 or not _KEY_RE.match(key) or ".." in key.split("/"):
        raise StorageError(f"invalid blob key {key!r}: expected segments of [A-Za-z0-9._-]")
    return key


class LocalBlobStore:
    """Bytes by key under one local directory."""

    def __init__(self, base_dir: str | Path) -> None:
        self._fs = LocalFileSystem()
        self._base = Path(base_dir).expanduser().resolve()
        try:
            private_dir(self._base)
        except OSError as exc:
            raise storage_error(f"blob directory {str(self._base)!r}", exc) from None

    @property
    def base_dir(self) -> Path:
        return self._base

    def _path(self, key: str) -> str:
        return str(self._base / check_key(key))

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        parent = os.path.dirname(path)
        tmp = os.path.join(parent, f".tmp-{uuid.uuid4().hex}")
        try:
            os.makedirs(parent, mode=DIR_MODE, exist_ok=True)
            # Created 0600 by the open itself: inputs and results are the users' data.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            # os.replace is an atomic rename on POSIX (fsspec's mv may copy across devices).
            os.replace(tmp, path)
        except OSError as exc:
            _remove_quietly(tmp)
            raise storage_error(f"cannot write blob {key!r}", exc) from None

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            data: bytes = self._fs.cat_file(path)
        except FileNotFoundError:
            raise StorageError(f"blob {key!r} does not exist") from None
        except OSError as exc:
            raise StorageError(f"cannot read blob {key!r}: {exc}") from None
        return data

    def exists(self, key: str) -> bool:
        return bool(self._fs.isfile(self._path(key)))

    def url(self, key: str) -> str:
        return Path(self._path(key)).as_uri()


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
