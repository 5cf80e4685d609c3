"""Worker lifecycle hooks (middleware in the dramatiq sense): logging, the status file and ECS task
protection plug in here, so the worker loop itself stays short.

Subclass `Hooks` and override what you need; `HookChain` calls several in order. A hook that
raises is reported on stderr and never stops the worker.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class JobTimings:
    """Where one job's time went, in seconds."""

    queue_wait_s: float  # submitted -> received by this worker
    fetch_s: float  # input blob fetch
    handle_s: float  # the handler call for the whole batch
    store_s: float  # result write + state update
    batch_size: int


class WorkerHooks(Protocol):
    def on_start(self, app: str, pid: int) -> None: ...

    def on_ready(self) -> None:
        """The model is loaded and the queues exist: the worker is about to receive."""

    def on_batch_received(self, n: int, queue: str) -> None: ...

    def on_busy(self) -> None:
        """The worker went from idle to holding jobs."""

    def on_idle(self) -> None:
        """The worker holds no jobs and its last receive came back empty."""

    def on_job_done(self, job_id: str, attempt: int, timings: JobTimings) -> None: ...

    def on_job_failed(self, job_id: str, attempt: int, error: str, outcome: str) -> None:
        """outcome: retry (visible again after a backoff), failed, dead, or released."""

    def on_bad_message(self, message_id: str, error: str) -> None: ...

    def on_memory(self, paused: bool, rss_bytes: int, limit_bytes: int) -> None: ...

    def on_error(self, where: str, error: str) -> None:
        """Something outside a job went wrong (a receive, a delete); the worker carries on."""

    def on_model_loaded(self, version: str, reloaded: bool) -> None:
        """The model artifact `version` was loaded (`reloaded`: it replaced a running model)."""

    def on_draining(self, reason: str) -> None: ...

    def on_stop(self, reason: str, exit_code: int) -> None: ...


class Hooks:
    """No-op base: override only the hooks you need."""

    def on_start(self, app: str, pid: int) -> None:
        pass

    def on_ready(self) -> None:
        pass

    def on_batch_received(self, n: int, queue: str) -> None:
        pass

    def on_busy(self) -> None:
        pass

    def on_idle(self) -> None:
        pass

    def on_job_done(self, job_id: str, attempt: int, timings: JobTimings) -> None:
        pass

    def on_job_failed(self, job_id: str, attempt: int, error: str, outcome: str) -> None:
        pass

    def on_bad_message(self, message_id: str, error: str) -> None:
        pass

    def on_memory(self, paused: bool, rss_bytes: int, limit_bytes: int) -> None:
        pass

    def on_error(self, where: str, error: str) -> None:
        pass

    def on_model_loaded(self, version: str, reloaded: bool) -> None:
        pass

    def on_draining(self, reason: str) -> None:
        pass

    def on_stop(self, reason: str, exit_code: int) -> None:
        pass


class HookChain(Hooks):
    """Calls each hook in order; a failing hook is reported and skipped."""

    def __init__(self, hooks: Sequence[WorkerHooks]) -> None:
        self._hooks = list(hooks)

    def _each(self, name: str, *args: object) -> None:
        for hook in self._hooks:
            try:
                getattr(hook, name)(*args)
            except Exception as exc:
                line = {"event": "hook_error", "hook": type(hook).__name__, "call": name}
                line["error"] = repr(exc)
                sys.stderr.write(json.dumps(line) + "\n")

    def on_start(self, app: str, pid: int) -> None:
        self._each("on_start", app, pid)

    def on_ready(self) -> None:
        self._each("on_ready")

    def on_batch_received(self, n: int, queue: str) -> None:
        self._each("on_batch_received", n, queue)

    def on_busy(self) -> None:
        self._each("on_busy")

    def on_idle(self) -> None:
        self._each("on_idle")

    def on_job_done(self, job_id: str, attempt: int, timings: JobTimings) -> None:
        self._each("on_job_done", job_id, attempt, timings)

    def on_job_failed(self, job_id: str, attempt: int, error: str, outcome: str) -> None:
        self._each("on_job_failed", job_id, attempt, error, outcome)

    def on_bad_message(self, message_id: str, error: str) -> None:
        self._each("on_bad_message", message_id, error)

    def on_memory(self, paused: bool, rss_bytes: int, limit_bytes: int) -> None:
        self._each("on_memory", paused, rss_bytes, limit_bytes)

    def on_error(self, where: str, error: str) -> None:
        self._each("on_error", where, error)

    def on_model_loaded(self, version: str, reloaded: bool) -> None:
        self._each("on_model_loaded", version, reloaded)

    def on_draining(self, reason: str) -> None:
        self._each("on_draining", reason)

    def on_stop(self, reason: str, exit_code: int) -> None:
        self._each("on_stop", reason, exit_code)
