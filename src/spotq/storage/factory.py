"""Open a blob store or job store from its URL. Dispatch is one small table per kind, keyed by URL
scheme; other backends (s3://, dynamodb://) add a row that imports their own module lazily."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from spotq.errors import ConfigError
from spotq.storage.base import BlobStore, JobStore


def _open_local_blobs(url: str) -> BlobStore:
    from spotq.storage.local import LocalBlobStore

    return LocalBlobStore(_local_path(url))


def _open_sqlite_jobs(url: str) -> JobStore:
    from spotq.storage.sqlite_jobs import SqliteJobStore

    # sqlite:///relative/path.db or sqlite:////absolute/path.db (the SQLAlchemy convention).
    path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
    if not path:
        raise ConfigError(
            f"jobs_url {url!r}: expected sqlite:///relative.db or sqlite:////absolute.db"
        )
    return SqliteJobStore(Path(unquote(path)))


def _open_s3_blobs(url: str) -> BlobStore:
    from spotq.aws.s3_blobs import S3BlobStore

    return S3BlobStore(url)  # region, endpoint and credentials from the standard AWS chain


def _open_dynamo_jobs(url: str) -> JobStore:
    from spotq.aws.dynamo_jobs import DynamoJobStore

    return DynamoJobStore(url)  # region, endpoint and credentials from the standard AWS chain


_BLOB_OPENERS: dict[str, Callable[[str], BlobStore]] = {
    "": _open_local_blobs,
    "file": _open_local_blobs,
    "s3": _open_s3_blobs,
}

_JOB_OPENERS: dict[str, Callable[[str], JobStore]] = {
    "sqlite": _open_sqlite_jobs,
    "dynamodb": _open_dynamo_jobs,
}


def _scheme(url: str) -> str:
    if not url:
        return ""
    return urlsplit(url).scheme.lower()


def _local_path(url: str) -> Path:
    if url.startswith("file://"):
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ConfigError(f"blob_url {url!r}: file:// URLs must name a local path")
        return Path(unquote(parts.path))
    return Path(url)


def open_blob_store(url: str) -> BlobStore:
    """A BlobStore for `url`: a local directory path, file:///path, or a registered scheme."""
    if not url:
        raise ConfigError("blob_url: expected a directory path or URL, got an empty string")
    opener = _BLOB_OPENERS.get(_scheme(url))
    if opener is None:
        known = ", ".join(sorted(s + "://" for s in _BLOB_OPENERS if s))
        raise ConfigError(f"blob_url {url!r}: unknown scheme; expected a path or one of {known}")
    return opener(url)


def open_job_store(url: str) -> JobStore:
    """A JobStore for `url`: sqlite:///path.db, or a registered scheme."""
    opener = _JOB_OPENERS.get(_scheme(url))
    if opener is None:
        known = ", ".join(sorted(s + "://" for s in _JOB_OPENERS))
        raise ConfigError(f"jobs_url {url!r}: unknown scheme; expected one of {known}")
    return opener(url)
