"""SQS errors carry their exact wire identity: model shape, legacy query code, HTTP status."""

from __future__ import annotations

from spotq.errors import SpotqError


class SqsError(SpotqError):
    """An error answered to an SQS client.

    `shape` is the botocore error shape (`QueueDoesNotExist`), `code` the legacy query-protocol code
    (`AWS.SimpleQueueService.NonExistentQueue`), `status` the HTTP status.
    """

    def __init__(
        self,
        shape: str,
        message: str,
        *,
        code: str | None = None,
        status: int = 400,
        sender_fault: bool = True,
    ) -> None:
        super().__init__(message)
        self.shape = shape
        self.code = code if code is not None else shape
        self.status = status
        self.message = message
        self.sender_fault = sender_fault


def _aws(shape: str) -> str:
    return f"AWS.SimpleQueueService.{shape}"


# shape -> (legacy code, HTTP status), from the botocore SQS model and ../shared/reference.
WIRE_CODES: dict[str, tuple[str, int]] = {
    "QueueDoesNotExist": (_aws("NonExistentQueue"), 400),
    "QueueNameExists": ("QueueAlreadyExists", 400),
    "QueueDeletedRecently": (_aws("QueueDeletedRecently"), 400),
    "TooManyEntriesInBatchRequest": (_aws("TooManyEntriesInBatchRequest"), 400),
    "EmptyBatchRequest": (_aws("EmptyBatchRequest"), 400),
    "BatchEntryIdsNotDistinct": (_aws("BatchEntryIdsNotDistinct"), 400),
    "BatchRequestTooLong": (_aws("BatchRequestTooLong"), 400),
    "InvalidBatchEntryId": (_aws("InvalidBatchEntryId"), 400),
    "MessageNotInflight": (_aws("MessageNotInflight"), 400),
    "UnsupportedOperation": (_aws("UnsupportedOperation"), 400),
    "PurgeQueueInProgress": (_aws("PurgeQueueInProgress"), 403),
    "OverLimit": ("OverLimit", 403),
    "ResourceNotFoundException": ("ResourceNotFoundException", 404),
    "ReceiptHandleIsInvalid": ("ReceiptHandleIsInvalid", 400),
    "InvalidAttributeName": ("InvalidAttributeName", 400),
    "InvalidAttributeValue": ("InvalidAttributeValue", 400),
    "InvalidMessageContents": ("InvalidMessageContents", 400),
    "InvalidIdFormat": ("InvalidIdFormat", 400),
    "InvalidSecurity": ("InvalidSecurity", 403),
    "RequestThrottled": ("RequestThrottled", 400),
    "InvalidParameterValue": ("InvalidParameterValue", 400),
    "MissingParameter": ("MissingParameter", 400),
    "InvalidAction": ("InvalidAction", 400),
    "InvalidClientTokenId": ("InvalidClientTokenId", 403),
    "SignatureDoesNotMatch": ("SignatureDoesNotMatch", 403),
    "MissingAuthenticationToken": ("MissingAuthenticationToken", 403),
    "AccessDenied": ("AccessDenied", 403),
    "InternalFailure": ("InternalFailure", 500),
    "ServiceUnavailable": ("ServiceUnavailable", 503),
    "RequestEntityTooLarge": ("RequestEntityTooLarge", 413),
    "MalformedInput": ("MalformedInput", 400),
    "SerializationException": ("SerializationException", 400),
    "InvalidAddress": ("InvalidAddress", 404),
    "UnknownOperationException": ("UnknownOperationException", 404),
}

# The JSON protocol's `__type` where AWS's differs from the shape name above: SDKs that pick the
# exception class from `__type` (JavaScript v3, Java v2, Go v2) need AWS's, while
# `x-amzn-query-error` keeps the legacy code (botocore shows that one as Error.Code).
JSON_TYPES: dict[str, str] = {
    "InvalidParameterValue": "InvalidParameterValueException",
    "MissingParameter": "MissingRequiredParameterException",
}


def json_type(shape: str) -> str:
    """The JSON protocol's `__type` name for an error shape."""
    return JSON_TYPES.get(shape, shape)


def sqs_error(shape: str, message: str) -> SqsError:
    """Build an SqsError for a known shape with its legacy code and HTTP status."""
    code, status = WIRE_CODES.get(shape, (shape, 400))
    return SqsError(shape, message, code=code, status=status, sender_fault=status < 500)
