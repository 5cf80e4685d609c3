"""A model artifact kept in S3 (the app's `model_uri`): fetched into a local cache, one directory
per object version, and reloaded while the worker runs when the object's version changes.

Rolling, without downtime: between batches the worker asks `poll()`; every `model_check_s` it
starts a background check of the object's version (HeadObject: its VersionId in a versioned
bucket, else its ETag). A new version is fetched and `load(path)` is run in that background
thread while the old model keeps serving; the next `poll()` after it finishes hands the new model
over, so the switch happens between batches. A failed fetch or load keeps the old model, logs
why (`error` where=model) and is not retried for that version; a later version is tried again.
Loading beside the serving model needs memory for both for a while: size the task for it.

Cache: <cache_dir>/<hash of the URI>/<hash of the version>; a version already there is not
downloaded again (a restarted local worker starts at once); all but the two newest are removed,
and a version that failed to load is removed at once.
Directory names are hashes, never the user's key or version strings.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from spotq.app import App
from spotq.app_env import ModelRef
from spotq.aws.model_fetch import fetch
from spotq.clock import Clock
from spotq.errors import SpotqError
from spotq.worker.hooks import WorkerHooks

_KEEP_VERSIONS = 2


@dataclass(frozen=True)
class Version:
    label: str  # what the logs show: the VersionId, or "etag:<etag>" in an unversioned bucket
    version_id: str | None  # what to fetch (None: the current object)


class ModelArtifacts:
    """The S3 object and its local cache."""

    def __init__(self, s3: Any, model: ModelRef, cache_dir: Path) -> None:
        self._s3 = s3
        self._model = model
        self._root = cache_dir / _digest(model.uri)

    def current(self) -> Version:
        head = self._s3.head_object(Bucket=self._model.bucket, Key=self._model.key)
        version_id = head.get("VersionId")
        if version_id and version_id != "null":
            return Version(version_id, version_id)
        return Version(f"etag:{head.get('ETag', '').strip(chr(34))}", None)

    def fetch(self, version: Version) -> Path:
        """The local path of `version` (downloaded unless the cache has it)."""
        final = self._root / _digest(version.label)
        if final.exists():
            return _artifact_path(final)
        # Unique per process and thread: the local fleet's workers share one cache.
        partial = self._root / f".{final.name}.{os.getpid()}.{threading.get_ident()}.part"
        shutil.rmtree(partial, ignore_errors=True)
        fetch(self._s3, self._model.uri, partial, version.version_id)
        try:
            partial.rename(final)  # the directory appears complete or not at all
        except OSError:  # another worker on this host finished the same version first
            shutil.rmtree(partial, ignore_errors=True)
        return _artifact_path(final)

    def discard(self, version: Version) -> None:
        """Drop a version that failed to load: it takes disk and will not be tried again."""
        shutil.rmtree(self._root / _digest(version.label), ignore_errors=True)

    def prune(self, keep: Path) -> None:
        """Remove cached versions beyond the newest few (always keeping `keep`'s)."""
        dirs = sorted(
            (p for p in self._root.iterdir() if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in dirs[_KEEP_VERSIONS:]:
            if old not in keep.parents and old != keep:
                shutil.rmtree(old, ignore_errors=True)


def _artifact_path(directory: Path) -> Path:
    """The artifact itself for a single file, the directory for an unpacked archive."""
    entries = list(directory.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_file() else directory


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class ModelReloader:
    """Loads the model at start and swaps in new versions between batches."""

    def __init__(
        self,
        app: App,
        artifacts: ModelArtifacts,
        hooks: WorkerHooks,
        clock: Clock,
        check_s: float,
    ) -> None:
        self._app = app
        self._artifacts = artifacts
        self._hooks = hooks
        self._clock = clock
        self._check_s = check_s
        self._version: Version | None = None
        self._refused: str | None = None  # a version that failed to fetch or load
        self._checked_s = float("-inf")
        self._thread: threading.Thread | None = None
        self._ready: tuple[Version, Any] | None = None

    def load_initial(self) -> Any:
        """Fetch the current version and load it (a failure here is the worker's load failure)."""
        version = self._artifacts.current()
        path = self._artifacts.fetch(version)
        model = self._app.load_model(path)
        self._version = version
        self._checked_s = self._clock.monotonic()
        self._hooks.on_model_loaded(version.label, False)
        return model

    def poll(self) -> Any | None:
        """Between batches: a newly loaded model to switch to, or None."""
        if self._thread is not None and not self._thread.is_alive():
            self._thread = None
            ready, self._ready = self._ready, None
            if ready is not None:
                self._version = ready[0]
                self._hooks.on_model_loaded(ready[0].label, True)
                return ready[1]
        now_s = self._clock.monotonic()
        if self._thread is None and now_s - self._checked_s >= self._check_s:
            self._checked_s = now_s
            self._thread = threading.Thread(target=self._check, name="model-reload", daemon=True)
            self._thread.start()
        return None

    def wait(self, timeout_s: float) -> None:
        """Wait for a running check or load to finish (tests and shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _check(self) -> None:
        try:
            version = self._artifacts.current()
        except (BotoCoreError, ClientError) as exc:
            self._hooks.on_error("model", f"cannot check {self._model_uri}: {exc}")
            return
        if version == self._version or version.label == self._refused:
            return
        self._ready = self._load(version, lambda path: self._app.load_model(path))

    def _load(self, version: Version, load: Callable[[Path], Any]) -> tuple[Version, Any] | None:
        try:
            path = self._artifacts.fetch(version)
            model = load(path)
        except (BotoCoreError, ClientError, SpotqError, OSError) as exc:
            why = f"fetching {version.label}: {exc}"
        except Exception as exc:  # load() is user code
            why = f"load() of {version.label} failed: {type(exc).__name__}: {exc}"
        else:
            self._artifacts.prune(path)
            return version, model
        self._refused = version.label
        self._artifacts.discard(version)
        self._hooks.on_error("model", f"{self._model_uri}: {why}; keeping the running model")
        return None

    @property
    def _model_uri(self) -> str:
        model = self._app.options.model
        return model.uri if model is not None else "model"
