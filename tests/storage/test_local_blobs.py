import threading
from pathlib import Path

import pytest

from spotq.errors import StorageError
from spotq.storage.base import result_key
from spotq.storage.local import LocalBlobStore


def test_put_get_roundtrip_and_url(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put("inputs/j1", b"\x00\x01binary")
    assert store.get("inputs/j1") == b"\x00\x01binary"
    assert store.exists("inputs/j1") and not store.exists("inputs/j2")
    assert store.url("inputs/j1") == (tmp_path / "blobs" / "inputs" / "j1").resolve().as_uri()


def test_repeated_put_is_idempotent_and_leaves_no_temp_files(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    key = result_key("job-1")
    store.put(key, b'{"a": 1}')
    store.put(key, b'{"a": 2}')
    assert store.get(key) == b'{"a": 2}'
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["job-1.json"]


def test_readers_never_see_a_partial_write(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    values = [bytes([n]) * 200_000 for n in (1, 2)]
    store.put("results/r.json", values[0])
    stop = threading.Event()

    def writer(value: bytes) -> None:
        while not stop.is_set():
            store.put("results/r.json", value)

    threads = [threading.Thread(target=writer, args=(v,)) for v in values]
    for thread in threads:
        thread.start()
    try:
        seen = {store.get("results/r.json") for _ in range(300)}
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert seen <= set(values)


def test_a_failed_write_leaves_no_temp_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    (tmp_path / "results" / "a.json").mkdir(parents=True)  # the rename target is a directory
    with pytest.raises(StorageError, match="cannot write blob"):
        store.put("results/a.json", b"new")
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["a.json"]


@pytest.mark.parametrize(
    "key", ["../escape", "/etc/passwd", "a/../../b", "", "a//b", "results/x y", ".hidden"]
)
def test_unsafe_keys_are_refused(tmp_path: Path, key: str) -> None:
    store = LocalBlobStore(tmp_path)
    with pytest.raises(StorageError, match="invalid blob key"):
        store.put(key, b"x")
    with pytest.raises(StorageError, match="invalid blob key"):
        store.get(key)


def test_missing_blob_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        LocalBlobStore(tmp_path).get("results/nope.json")
