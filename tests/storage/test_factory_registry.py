"""Backends register by URL scheme: built-in local ones, entry points (spotq's S3 and DynamoDB
backends), or `register_*` at run time; an unknown scheme names every known one."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotq.errors import ConfigError
from spotq.storage import factory
from spotq.storage.local import LocalBlobStore


def test_entry_points_name_the_aws_backends() -> None:
    with pytest.raises(ConfigError) as blob_error:
        factory.open_blob_store("gopher://x")
    assert "s3://" in str(blob_error.value) and "file://" in str(blob_error.value)
    with pytest.raises(ConfigError) as job_error:
        factory.open_job_store("gopher://x")
    assert "dynamodb://" in str(job_error.value) and "sqlite://" in str(job_error.value)


def test_a_registered_scheme_opens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(factory, "_BLOB_OPENERS", dict(factory._BLOB_OPENERS))
    factory.register_blob_store("Mem", lambda url: LocalBlobStore(tmp_path / url[6:]))
    store = factory.open_blob_store("mem://blobs")
    assert isinstance(store, LocalBlobStore)
