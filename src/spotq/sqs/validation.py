"""Value and range rules shared by the store operations, raising AWS's errors."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from spotq.sqs.errors import SqsError, sqs_error

MAX_MESSAGE_BYTES = 1_048_576
MAX_BATCH_ENTRIES = 10
MAX_MESSAGE_ATTRIBUTES = 10
MAX_VISIBILITY_S = 43_200
MAX_WAIT_S = 20
MAX_DELAY_S = 900

_QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
# Letters and digits of any script (`attr.1øßä` is a valid name), `_`, `-` and `.`.
_ATTR_NAME = re.compile(r"[\w.-]{1,256}")
_DATA_TYPE = re.compile(r"(String|Number|Binary)(\.[^\s]+)?")
# Characters SQS accepts in a body or string attribute (the XML 1.0 character range).
_BAD_CHARS = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_PRINTABLE_ASCII = re.compile(r"[!-~]{1,128}")


def invalid_value(param: str, value: object, reason: str) -> SqsError:
    """AWS's InvalidParameterValue for one parameter."""
    return sqs_error(
        "InvalidParameterValue", f"Value {value} for parameter {param} is invalid. Reason: {reason}"
    )


# AWS's wording for a body with characters outside the XML 1.0 range.
INVALID_CHARACTERS = (
    "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | "
    "#xE000 to #xFFFD | #x10000 to #x10FFFF"
)


def too_long(max_bytes: int) -> SqsError:
    """A message (body and attributes) over the queue's MaximumMessageSize, in AWS's words."""
    return sqs_error(
        "InvalidParameterValue",
        f"One or more parameters are invalid. Reason: Message must be shorter than "
        f"{max_bytes} bytes.",
    )


def missing(param: str) -> SqsError:
    return sqs_error("MissingParameter", f"The request must contain the parameter {param}.")


def int_range(param: str, value: int | None, low: int, high: int) -> int | None:
    """Check an optional integer parameter lies in [low, high]."""
    if value is not None and not low <= value <= high:
        # AWS words MaxNumberOfMessages' range differently from the others.
        if param == "MaxNumberOfMessages":
            reason = f"Must be between {low} and {high}, if provided."
        else:
            reason = f"Must be >= {low} and <= {high}, if provided."
        raise invalid_value(param, value, reason)
    return value


def queue_name(name: str, fifo: bool) -> None:
    """A queue name: 1..80 of [A-Za-z0-9_-], FIFO names end in `.fifo`."""
    base = name[:-5] if fifo and name.endswith(".fifo") else name
    if fifo and not name.endswith(".fifo"):
        raise invalid_value("QueueName", name, "The name of a FIFO queue must end with .fifo")
    if not _QUEUE_NAME.fullmatch(base) or len(name) > 80:
        raise invalid_value(
            "QueueName",
            name,
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        )


def message_body(body: str, *, entry: bool = False) -> None:
    if body == "":
        raise missing("MessageBody")
    # Printable ASCII (the common body) is all inside the allowed range: no regex scan needed.
    if body.isascii() and body.isprintable():
        return
    if _BAD_CHARS.search(body) is not None:
        raise sqs_error("InvalidMessageContents", INVALID_CHARACTERS)


def batch_entries(entries: Sequence[Mapping[str, Any]], request_entry: str) -> None:
    """The batch-wide rules: 1..10 entries, each id well-formed and distinct."""
    if not entries:
        raise sqs_error(
            "EmptyBatchRequest", f"There should be at least one {request_entry} in the request."
        )
    if len(entries) > MAX_BATCH_ENTRIES:
        raise sqs_error(
            "TooManyEntriesInBatchRequest",
            f"Maximum number of entries per request are {MAX_BATCH_ENTRIES}. "
            f"You have sent {len(entries)}.",
        )
    ids = [entry["Id"] for entry in entries]
    if _GOOD_IDS.issuperset(ids) and len(set(ids)) == len(ids):
        return  # ids seen well-formed before, all distinct: the loop below would pass
    seen: set[str] = set()
    for entry in entries:
        entry_id = entry["Id"]
        if entry_id not in _GOOD_IDS and not _good_batch_id(entry_id):
            raise sqs_error(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long.",
            )
        if entry_id in seen:
            raise sqs_error("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
        seen.add(entry_id)


_GOOD_IDS: set[str] = set()  # well-formed batch entry ids seen (clients reuse "0".."9")
_GOOD_IDS_MAX = 4096


def _good_batch_id(entry_id: str) -> bool:
    if not _BATCH_ID.fullmatch(entry_id):
        return False
    if len(_GOOD_IDS) < _GOOD_IDS_MAX:
        _GOOD_IDS.add(entry_id)
    return True


def message_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> int:
    """Check user message attributes; return their size in bytes as SQS counts it."""
    if len(attributes) > MAX_MESSAGE_ATTRIBUTES:
        raise invalid_value(
            "MessageAttributes",
            len(attributes),
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum "
            f"[{MAX_MESSAGE_ATTRIBUTES}].",
        )
    size = 0
    for name, value in attributes.items():
        _attribute_name(name)
        size += len(name.encode("utf-8")) + _attribute_value(name, value)
    return size


def _attribute_name(name: str) -> None:
    lowered = name.lower()
    if (
        not _ATTR_NAME.fullmatch(name)
        or lowered.startswith(("aws.", "amazon."))
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
    ):
        raise invalid_value(
            "MessageAttributes", name, f"Message (user) attribute name '{name}' is invalid."
        )


def _attribute_value(name: str, value: Mapping[str, Any]) -> int:
    data_type = value["DataType"]
    if not _DATA_TYPE.fullmatch(data_type) or len(data_type) > 256:
        raise invalid_value(
            "MessageAttributes",
            data_type,
            f"The type of message (user) attribute '{name}' is invalid. You must use only the "
            "following supported type prefixes: Binary, Number, String.",
        )
    if "StringListValues" in value or "BinaryListValues" in value:
        raise invalid_value(
            "MessageAttributes", name, "StringListValues and BinaryListValues are not supported."
        )
    if data_type.startswith("Binary"):
        binary = value.get("BinaryValue")
        if not binary or "StringValue" in value:
            raise _empty_value(name, "Binary")
        return len(data_type) + len(binary)
    text = value.get("StringValue")
    if not text or "BinaryValue" in value:
        raise _empty_value(name, data_type.split(".")[0])
    if data_type.startswith("Number"):
        _number(name, text)
    elif _BAD_CHARS.search(text):
        # InvalidParameterValue here, where the same characters in a body are
        # InvalidMessageContents (as SQS answers).
        raise invalid_value(
            "MessageAttributes", name, f"Invalid characters found in message attribute '{name}'."
        )
    return len(data_type) + len(text.encode("utf-8"))


def _empty_value(name: str, kind: str) -> SqsError:
    return invalid_value(
        "MessageAttributes",
        name,
        f"Message (user) attribute '{name}' must contain a non-empty value of type '{kind}'.",
    )


def _number(name: str, text: str) -> None:
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    digits = len(re.sub(r"[^0-9]", "", text.split("e")[0].split("E")[0]).lstrip("0"))
    if number != number or abs(number) > 1e126 or digits > 38:
        raise invalid_value(
            "MessageAttributes",
            text,
            f"Could not cast message attribute '{name}' value to number.",
        )


def trace_header(value: Mapping[str, Any] | None) -> str | None:
    """The only system attribute a sender may set: AWSTraceHeader, a String."""
    if value is None:
        return None
    text = value.get("StringValue")
    if value.get("DataType") != "String" or not text:
        raise invalid_value(
            "MessageSystemAttributes",
            "AWSTraceHeader",
            "AWSTraceHeader must be a non-empty value of type 'String'.",
        )
    if _BAD_CHARS.search(text):
        raise sqs_error(
            "InvalidMessageContents", "Invalid characters found in message system attribute."
        )
    return str(text)


def dedup_or_group_id(param: str, value: str) -> None:
    """MessageDeduplicationId / MessageGroupId / ReceiveRequestAttemptId: 1..128 printable ASCII."""
    if not _PRINTABLE_ASCII.fullmatch(value):
        raise invalid_value(
            param, value, f"{param} can only include alphanumeric and punctuation characters."
        )
