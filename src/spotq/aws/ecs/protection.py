"""ECS task scale-in protection: protected exactly while the worker holds jobs.

While busy, the task is protected through the ECS agent (`PUT $ECS_AGENT_URI/task-protection/v1/
state`), so a service scale-in picks an idle task instead of killing one mid-batch. The expiry is
longer than the visibility timeout and renewed at half its length while busy: if the worker dies
protected, the protection lapses soon after its messages become visible to other workers.
Protection does not stop a Spot interruption; the interruption watcher handles that.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from spotq.aws.ecs._http import put_json
from spotq.clock import Clock, SystemClock
from spotq.errors import SpotqError
from spotq.worker.hooks import Hooks

STATE_PATH = "/task-protection/v1/state"
MAX_EXPIRES_MINUTES = 2880  # the ECS API's limit (48 hours)

Emit = Callable[..., None]


class ProtectionError(SpotqError):
    """The ECS agent refused or failed a task-protection change."""


def expires_in_minutes(visibility_timeout_s: int) -> int:
    """Whole minutes strictly longer than the visibility timeout, within ECS's 1..2880."""
    minutes = math.floor(visibility_timeout_s / 60) + 1
    return max(1, min(MAX_EXPIRES_MINUTES, minutes))


class TaskProtectionClient:
    """The ECS agent's task-protection endpoint."""

    def __init__(self, agent_uri: str, *, timeout_s: float = 2.0) -> None:
        self._url = agent_uri.rstrip("/") + STATE_PATH
        self._timeout_s = timeout_s

    def set(self, enabled: bool, expires_minutes: int | None = None) -> None:
        doc: dict[str, object] = {"ProtectionEnabled": enabled}
        if enabled and expires_minutes is not None:
            doc["ExpiresInMinutes"] = expires_minutes
        try:
            reply = put_json(self._url, doc, timeout_s=self._timeout_s)
            body = reply.json()
        except (OSError, ValueError) as exc:
            raise ProtectionError(f"task protection: {exc}") from None
        # The agent answers 200 {"protection": ...}, or {"failure": ...} / {"error": ...}.
        if reply.status != 200 or not isinstance(body, dict) or "protection" not in body:
            problem = body.get("failure") or body.get("error") if isinstance(body, dict) else body
            raise ProtectionError(f"task protection: HTTP {reply.status}: {problem}")


class TaskProtectionHooks(Hooks):
    """Worker hooks: protect on busy, unprotect on idle and on stop, renew while busy."""

    def __init__(
        self,
        client: TaskProtectionClient,
        *,
        expires_minutes: int,
        renew_every_s: float | None = None,
        clock: Clock | None = None,
        emit: Emit | None = None,
    ) -> None:
        self._client = client
        self._expires_minutes = expires_minutes
        self._renew_s = renew_every_s if renew_every_s is not None else expires_minutes * 60 / 2
        self._clock = clock or SystemClock()
        self._emit = emit
        self._lock = threading.Lock()
        self._protected = False
        self._protected_at_s = 0.0
        self._stopped = threading.Event()
        self._renewer: threading.Thread | None = None

    @property
    def protected(self) -> bool:
        return self._protected

    def on_busy(self) -> None:
        self._set(True)
        if self._renewer is None:
            self._renewer = threading.Thread(
                target=self._renew_loop, name="spotq-task-protection", daemon=True
            )
            self._renewer.start()

    def on_idle(self) -> None:
        self._set(False)

    def on_stop(self, reason: str, exit_code: int) -> None:
        self._stopped.set()
        if self._protected:
            self._set(False)

    def _set(self, enabled: bool) -> None:
        with self._lock:
            try:
                self._client.set(enabled, self._expires_minutes)
            except ProtectionError as exc:
                # Without protection a scale-in may stop this task; SQS redelivers its jobs.
                self._report(str(exc))
                return
            self._protected = enabled
            self._protected_at_s = self._clock.monotonic()
        self._report(None, enabled=enabled)

    def _renew_loop(self) -> None:
        while not self._stopped.wait(min(self._renew_s, 30.0)):
            with self._lock:
                due = self._clock.monotonic() - self._protected_at_s >= self._renew_s
                renew = self._protected and due
            if renew:
                self._set(True)

    def _report(self, error: str | None, *, enabled: bool = False) -> None:
        if self._emit is None:
            return
        if error is not None:
            self._emit("task_protection_error", error=error)
        else:
            self._emit(
                "task_protection",
                enabled=enabled,
                expires_minutes=self._expires_minutes if enabled else None,
            )
