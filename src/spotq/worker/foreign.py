"""Messages not made by spotq's job API (a producer's own format on an existing queue): the app's
decoder (`@app.decoder`) turns the raw body into the job's input.

A body that is a spotq job message is always taken as one; any other body goes to the decoder.
The job's ID is derived from the SQS message ID, which stays the same across receives, so a
retried message is the same job. A decoder that raises, or returns something that is not a JSON
object, refuses the message: the worker logs why (`bad_message`), hides it for a backoff, and the
queue's redrive policy takes it to the dead-letter queue after max_receives receives. The worker
never stops for one.
"""

from __future__ import annotations

import json

from spotq.app import App
from spotq.jobs import JobMessage, MessageFormatError
from spotq.worker.delivery import Delivery

FOREIGN_JOB_PREFIX = "sqs-"
_MAX_ERROR_CHARS = 500


def foreign_job_id(message_id: str) -> str:
    return FOREIGN_JOB_PREFIX + message_id


def decode_delivery(app: App, delivery: Delivery) -> JobMessage:
    """The job a delivery carries; MessageFormatError when neither spotq nor the decoder can read
    it."""
    try:
        return JobMessage.decode(delivery.body)
    except MessageFormatError:
        if app.decode_fn is None:
            raise
    try:
        value = app.decode_fn(delivery.body)
    except Exception as exc:  # the decoder is user code: any error refuses the message
        raise MessageFormatError(
            _clip(f"decoder refused it: {type(exc).__name__}: {exc}")
        ) from None
    if not isinstance(value, dict):
        raise MessageFormatError(
            f"decoder returned {type(value).__name__}, expected a dict (the job's input)"
        )
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise MessageFormatError(_clip(f"decoder returned a non-JSON input: {exc}")) from None
    return JobMessage(
        job_id=foreign_job_id(delivery.message_id),
        app=app.name,
        input=value,
        submitted_at_s=delivery.sent_at_s,
    )


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 1] + "…"
