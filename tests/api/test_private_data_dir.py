"""A stack's data dir is its owner's alone: 0700, and the files the stack writes in it 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from spotq.api.client import JobsClient

from .conftest import start_stack


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask: whatever ends up private was made private on purpose."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("open_umask")
def test_a_stack_data_dir_is_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "stack"
    data_dir.mkdir(mode=0o755)  # an existing, world-readable data dir is tightened
    stack = start_stack(tmp_path)
    try:
        client = JobsClient(stack.api_url)
        client.upload("a.wav", b"RIFF", {"lang": "en"})
        client.submit({"text": "x" * 300_000})  # a claim-checked input
        client.close()
    finally:
        stack.stop()
    assert _mode(data_dir) == 0o700
    ours = [
        "stack.json", "jobs.db", "jobs.db-wal", "jobs.db-shm",
        "api-outbox.db", "api-outbox.db-wal", "api-outbox.db-shm",
        "sqs.db", "sqs.db-wal", "sqs.db-shm", "sqs-server.log",
    ]  # fmt: skip
    for name in ours:
        path = data_dir / name
        if path.exists():  # -wal/-shm go away on a clean close
            assert _mode(path) == 0o600, name
    blob_files = [p for p in (data_dir / "blobs").rglob("*") if p.is_file()]
    assert len(blob_files) == 2
    assert all(_mode(p) == 0o600 for p in blob_files)
    assert all(_mode(p) == 0o700 for p in (data_dir / "blobs").rglob("*") if p.is_dir())
