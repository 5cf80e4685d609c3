"""API errors and the one table that maps exception classes to HTTP status codes."""

from __future__ import annotations

from spotq.errors import ConfigError, ServiceError, SpotqError, StorageError
from spotq.storage.errors import StorageFull


class ApiError(SpotqError):
    """An error the API reports to its client; its class decides the HTTP status."""


class BadRequest(ApiError):
    """The request is malformed (bad JSON, a bad query parameter)."""


class InvalidInput(ApiError):
    """The request parsed but a field has the wrong type or value."""


class Unauthorized(ApiError):
    """A missing or wrong API key."""


class UnknownApp(ApiError):
    """The request names an app this API does not serve."""


class UnknownJob(ApiError):
    """No job has this id."""


class NotFinished(ApiError):
    """The job has no result yet (or failed without one)."""


class PayloadTooLarge(ApiError):
    """The body or an uploaded file is over the configured limit."""


class UnsupportedMediaType(ApiError):
    """The Content-Type is not one the endpoint accepts."""


class NotReady(ApiError):
    """A dependency (the queue, a store) is unreachable."""


class RequestTimeout(ApiError):
    """The client stopped sending its request body before it was complete."""


class InternalError(ApiError):
    """A bug: an error spotq did not expect. Reported with the documented body, never a trace."""


class Rejected(ApiError):
    """`spotq serve`: the handler refused this input (it returned or raised spotq.JobFailed)."""


class HandlerError(ApiError):
    """`spotq serve`: the app's handler raised; a bug in the app, reported as 500."""


class Overloaded(ApiError):
    """`spotq serve`: the request cannot be answered within its latency budget (load shedding);
    `retry_after_s` says when to try again."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Draining(Overloaded):
    """`spotq serve` is shutting down and takes no new work; another task will."""


# Most specific class first: the first match wins. Anything not listed is a bug (500).
STATUS_BY_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (BadRequest, 400),
    (RequestTimeout, 408),
    (Unauthorized, 401),
    (UnknownApp, 404),
    (UnknownJob, 404),
    (NotFinished, 409),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (InvalidInput, 422),
    (ConfigError, 400),
    (Rejected, 422),
    (NotReady, 503),
    (StorageFull, 507),  # before StorageError, its base
    (Overloaded, 503),
    (StorageError, 503),
    (ServiceError, 503),
    (HandlerError, 500),
)


def status_for(exc: Exception) -> int:
    """The HTTP status for an exception, from STATUS_BY_ERROR; 500 for anything unlisted."""
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 500
