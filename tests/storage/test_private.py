"""A stack's data is its owner's alone: the data dir 0700, and every file spotq writes in it
(SQLite databases with their -wal/-shm files, blobs, stack.json) 0600, whatever the umask.
The whole stack is checked in tests/api/test_private_data_dir.py."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from spotq.storage.local import LocalBlobStore
from spotq.storage.private import private_dir, private_file, write_private
from spotq.storage.sqlite_jobs import SqliteJobStore


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The most permissive umask: whatever ends up private was made private on purpose."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_helpers_make_private_paths(tmp_path: Path) -> None:
    made = private_dir(tmp_path / "a" / "b")
    assert _mode(made) == 0o700 and _mode(made.parent) == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    private_dir(loose)
    assert _mode(loose) == 0o755  # not tightened unless asked
    private_dir(loose, tighten=True)
    assert _mode(loose) == 0o700
    shared = tmp_path / "shared.txt"
    shared.write_text("x")
    shared.chmod(0o644)
    assert _mode(private_file(shared)) == 0o600 and shared.read_text() == "x"
    write_private(tmp_path / "new.json", b"{}")
    assert _mode(tmp_path / "new.json") == 0o600


def test_stores_create_private_files(tmp_path: Path) -> None:
    store = SqliteJobStore(tmp_path / "state" / "jobs.db")
    store.count_by_state()  # open: the -wal and -shm files exist until the store closes
    assert _mode(tmp_path / "state") == 0o700
    for name in ("jobs.db", "jobs.db-wal", "jobs.db-shm"):
        assert _mode(tmp_path / "state" / name) == 0o600, name
    store.close()
    blobs = LocalBlobStore(tmp_path / "blobs")
    blobs.put("inputs/j1", b"data")
    assert _mode(tmp_path / "blobs") == 0o700
    assert _mode(tmp_path / "blobs" / "inputs") == 0o700
    assert _mode(tmp_path / "blobs" / "inputs" / "j1") == 0o600
