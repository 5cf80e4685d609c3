"""Open a blob store or job store from its URL. Dispatch is one small table per kind, keyed by URL
scheme. The local backends are built in; others register by scheme, as fsspec's
implementations do: `register_blob_store("s3", opener)`, or an entry point in the
`spotq.blob_stores` / `spotq.job_stores` group naming a class that takes the URL (spotq's own
S3 and DynamoDB backends are declared so in pyproject.toml). An entry point is imported only
when its scheme is first used, so the local stack never loads boto3 and this package never
imports spotq.aws."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TypeVar
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


_BLOB_OPENERS: dict[str, Callable[[str], BlobStore]] = {
    "": _open_local_blobs,
    "file": _open_local_blobs,
}

_JOB_OPENERS: dict[str, Callable[[str], JobStore]] = {
    "sqlite": _open_sqlite_jobs,
}

BLOB_STORE_GROUP = "spotq.blob_stores"
JOB_STORE_GROUP = "spotq.job_stores"
T = TypeVar("T")


def register_blob_store(scheme: str, opener: Callable[[str], BlobStore]) -> None:
    """Open `scheme://...` blob URLs with `opener(url)` from now on."""
    _BLOB_OPENERS[scheme.lower()] = opener


def register_job_store(scheme: str, opener: Callable[[str], JobStore]) -> None:
    """Open `scheme://...` job-store URLs with `opener(url)` from now on."""
    _JOB_OPENERS[scheme.lower()] = opener


def _lookup(openers: dict[str, Callable[[str], T]], group: str, scheme: str) -> Any:
    """The opener for `scheme`, loading its entry point on first use (None: unknown)."""
    if scheme not in openers and scheme:
        for point in entry_points(group=group, name=scheme):
            openers[scheme] = point.load()  # region, endpoint, credentials: the backend's own
            break
    return openers.get(scheme)


def _known(openers: dict[str, Any], group: str) -> list[str]:
    return sorted({*(s for s in openers if s), *(e.name for e in entry_points(group=group))})


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
    opener = _lookup(_BLOB_OPENERS, BLOB_STORE_GROUP, _scheme(url))
    if opener is None:
        known = ", ".join(s + "://" for s in _known(_BLOB_OPENERS, BLOB_STORE_GROUP))
        raise ConfigError(f"blob_url {url!r}: unknown scheme; expected a path or one of {known}")
    store: BlobStore = opener(url)
    return store


def open_job_store(url: str) -> JobStore:
    """A JobStore for `url`: sqlite:///path.db, or a registered scheme."""
    opener = _lookup(_JOB_OPENERS, JOB_STORE_GROUP, _scheme(url))
    if opener is None:
        known = ", ".join(s + "://" for s in _known(_JOB_OPENERS, JOB_STORE_GROUP))
        raise ConfigError(f"jobs_url {url!r}: unknown scheme; expected one of {known}")
    store: JobStore = opener(url)
    return store
