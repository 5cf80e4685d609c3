from pathlib import Path

import pytest

from spotq.errors import ConfigError
from spotq.storage.factory import open_blob_store, open_job_store
from spotq.storage.local import LocalBlobStore
from spotq.storage.sqlite_jobs import SqliteJobStore


def test_local_paths_and_file_urls_open_the_same_directory(tmp_path: Path) -> None:
    by_path = open_blob_store(str(tmp_path / "b"))
    by_url = open_blob_store((tmp_path / "b").as_uri())
    assert isinstance(by_path, LocalBlobStore) and isinstance(by_url, LocalBlobStore)
    by_path.put("results/x.json", b"1")
    assert by_url.get("results/x.json") == b"1"


def test_relative_blob_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_blob_store(".spotq/blobs")
    store.put("inputs/a", b"x")
    assert (tmp_path / ".spotq" / "blobs" / "inputs" / "a").read_bytes() == b"x"


def test_sqlite_urls_absolute_and_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(open_job_store(f"sqlite:///{tmp_path}/abs.db"), SqliteJobStore)
    assert (tmp_path / "abs.db").exists()
    monkeypatch.chdir(tmp_path)
    open_job_store("sqlite:///.spotq/jobs.db")
    assert (tmp_path / ".spotq" / "jobs.db").exists()


@pytest.mark.parametrize("url", ["ftp://host/x", "gopher:x", ""])
def test_unknown_blob_scheme_names_the_key(url: str) -> None:
    with pytest.raises(ConfigError, match="blob_url"):
        open_blob_store(url)


@pytest.mark.parametrize("url", ["postgres://db", "sqlite://", "/plain/path.db", ""])
def test_bad_jobs_url_names_the_key(url: str) -> None:
    with pytest.raises(ConfigError, match="jobs_url"):
        open_job_store(url)
