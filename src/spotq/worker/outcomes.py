"""What a handler call comes to, per job: a result, or a Failure with its error text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spotq.app import HandlerContractError, JobFailed
from spotq.worker.memory import MemoryGuard

MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class Failure:
    error: str
    retry: bool = True


def retry_alone(error: BaseException | None) -> bool:
    """A raising batch call is retried job by job (which job raised is unknown), except when the
    handler broke its contract: that is a bug in the handler, which a rerun would only hide."""
    return error is not None and not isinstance(error, HandlerContractError)


def memory_error(guard: MemoryGuard, n: int) -> str:
    mib = 1024 * 1024
    return (
        f"memory limit exceeded: the worker's RSS reached {guard.last_rss_bytes // mib} MiB of "
        f"its {guard.limit_bytes // mib} MiB limit while the handler ran {n} job(s); the worker "
        "was stopped"
    )


def as_failure(value: Any) -> Any:
    if isinstance(value, JobFailed):
        return Failure(clip(str(value)), value.retry)
    return value


def clip(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"
