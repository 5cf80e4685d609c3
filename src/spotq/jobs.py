"""Jobs as they travel: their states, their stored record, and the message that carries one."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from spotq.errors import SpotqError

MESSAGE_VERSION = 1


class JobState(StrEnum):
    QUEUED = "queued"  # accepted, waiting in the queue (or waiting to be retried)
    RUNNING = "running"  # a worker holds it
    SUCCEEDED = "succeeded"  # result stored
    FAILED = "failed"  # failed for good without retrying (the handler said retry=False)
    DEAD = "dead"  # failed max_receives times; its message is in the dead-letter queue


TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.DEAD})


class Priority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"


@dataclass(frozen=True)
class JobRecord:
    """The job state row (SQLite locally, DynamoDB on AWS)."""

    job_id: str
    app: str
    state: JobState
    priority: Priority = Priority.NORMAL
    attempts: int = 0
    submitted_at_s: float = 0.0
    started_at_s: float | None = None
    finished_at_s: float | None = None
    last_error: str | None = None
    input_ref: str | None = None  # blob key of a claim-checked input or an uploaded file
    result_ref: str | None = None  # blob key of the stored result
    filename: str | None = None  # the client's name for an uploaded file; never a storage key
    idempotency_key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class MessageFormatError(SpotqError):
    """A queue message is not a spotq job message."""


@dataclass(frozen=True)
class JobMessage:
    """The body of the SQS message for one job. Inputs too large for a message are stored as a
    blob and referenced by `input_ref` (claim check)."""

    job_id: str
    app: str
    input: dict[str, Any] | None = None
    input_ref: str | None = None
    filename: str | None = None
    submitted_at_s: float = 0.0

    def encode(self) -> str:
        # Built by hand: dataclasses.asdict deep-copies the input, a third of a submit's CPU.
        body = {
            "v": MESSAGE_VERSION,
            "job_id": self.job_id,
            "app": self.app,
            "input": self.input,
            "input_ref": self.input_ref,
            "filename": self.filename,
            "submitted_at_s": self.submitted_at_s,
        }
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def decode(cls, body: str) -> JobMessage:
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise MessageFormatError(f"message body is not JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("v") != MESSAGE_VERSION:
            raise MessageFormatError("message is not a spotq job message (version mismatch)")
        try:
            return cls(
                job_id=str(data["job_id"]),
                app=str(data["app"]),
                input=data.get("input"),
                input_ref=data.get("input_ref"),
                filename=data.get("filename"),
                submitted_at_s=float(data.get("submitted_at_s", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MessageFormatError(f"job message is missing or has a bad field: {exc}") from None
