"""Queue attributes: defaults, validation of settable values, and which names exist."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from spotq.sqs.errors import SqsError, sqs_error

COMMON_DEFAULTS: dict[str, str] = {
    "DelaySeconds": "0",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS: dict[str, str] = {
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}
OPTIONAL = ("Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId")
COMPUTED = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
)
SETTABLE = frozenset([*COMMON_DEFAULTS, *FIFO_DEFAULTS, *OPTIONAL, "KmsDataKeyReusePeriodSeconds"])
ALL_NAMES = frozenset([*SETTABLE, *COMPUTED, "All"])
FIFO_ONLY = frozenset(["ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"])

# A FIFO queue's DeduplicationScope as created: SQS lets SetQueueAttributes change the attribute
# but keeps deduplicating the way the queue was created. Kept beside the attributes, never shown
# (no attribute name matches it).
CREATED_DEDUP_SCOPE = "spotq:DeduplicationScopeAtCreation"

_INT_RANGES: dict[str, tuple[int, int]] = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1_048_576),
    "MessageRetentionPeriod": (60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43_200),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}
_ENUMS: dict[str, tuple[str, ...]] = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
_BOOLS = ("ContentBasedDeduplication", "SqsManagedSseEnabled", "FifoQueue")


def bad_value(name: str, reason: str = "") -> SqsError:
    suffix = f" Reason: {reason}" if reason else ""
    return sqs_error("InvalidAttributeValue", f"Invalid value for the parameter {name}.{suffix}")


def unknown_name(name: str) -> SqsError:
    return sqs_error("InvalidAttributeName", f"Unknown Attribute {name}.")


def normalize(attrs: Mapping[str, str], *, fifo: bool, creating: bool) -> dict[str, str]:
    """Validate settable attributes and return them in canonical form (value-local rules only)."""
    out: dict[str, str] = {}
    for name, value in attrs.items():
        if name not in SETTABLE:
            raise unknown_name(name)
        if name == "FifoQueue" and not creating:
            if not fifo:
                raise unknown_name(name)
            if value.lower() == "true":
                continue  # a FIFO queue's own type: accepted, changes nothing
            raise bad_value(name, "Modifying queue type is not supported.")
        if name in FIFO_ONLY and not fifo:
            raise unknown_name(name)
        out[name] = _normalize_one(name, value)
    if fifo and out.get("FifoThroughputLimit") == "perMessageGroupId":
        scope = out.get("DeduplicationScope")
        if scope == "queue":
            raise bad_value(
                "FifoThroughputLimit",
                "perMessageGroupId is only valid when DeduplicationScope is messageGroup.",
            )
    return out


def _normalize_one(name: str, value: str) -> str:
    if name in _INT_RANGES:
        low, high = _INT_RANGES[name]
        if not value.strip().isdigit() or not low <= int(value) <= high:
            raise bad_value(name)
        return str(int(value))
    if name in _BOOLS:
        if value.lower() not in ("true", "false"):
            raise bad_value(name)
        return value.lower()
    if name in _ENUMS:
        if value not in _ENUMS[name]:
            raise bad_value(name)
        return value
    if name == "Policy" and value:
        _json_object(name, value)
    if name == "RedriveAllowPolicy" and value:
        _redrive_allow(value)
    return value


def _json_object(name: str, value: str) -> dict[str, Any]:
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise bad_value(name, f"{name} is not a valid JSON map.")
    return parsed


def parse_redrive_policy(value: str) -> tuple[str, int]:
    """`{"deadLetterTargetArn": ARN, "maxReceiveCount": N}` -> (ARN, N), N in 1..1000."""
    policy = _json_object("RedrivePolicy", value)
    arn = policy.get("deadLetterTargetArn")
    count = policy.get("maxReceiveCount")
    if not isinstance(arn, str) or not arn:
        raise bad_value("RedrivePolicy", "Redrive policy does not contain a deadLetterTargetArn.")
    if isinstance(count, str) and count.isdigit():
        count = int(count)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 1000:
        raise bad_value("RedrivePolicy", "maxReceiveCount must be an integer between 1 and 1000.")
    extra = set(policy) - {"deadLetterTargetArn", "maxReceiveCount"}
    if extra:
        raise bad_value("RedrivePolicy", f"Unknown key {sorted(extra)[0]}.")
    return arn, count


def _redrive_allow(value: str) -> None:
    policy = _json_object("RedriveAllowPolicy", value)
    permission = policy.get("redrivePermission")
    sources = policy.get("sourceQueueArns")
    if permission not in ("allowAll", "denyAll", "byQueue"):
        raise bad_value(
            "RedriveAllowPolicy", "redrivePermission must be allowAll, denyAll or byQueue."
        )
    if permission == "byQueue":
        if not isinstance(sources, list) or not 1 <= len(sources) <= 10:
            raise bad_value("RedriveAllowPolicy", "byQueue needs 1 to 10 sourceQueueArns.")
    elif sources is not None:
        raise bad_value("RedriveAllowPolicy", "sourceQueueArns is only valid with byQueue.")


def redrive_allows(allow_policy: str | None, source_arn: str) -> bool:
    """Whether a dead-letter queue's RedriveAllowPolicy lets `source_arn` use it (an ARN names
    the same queue whatever region it was written for)."""
    if not allow_policy:
        return True
    policy = json.loads(allow_policy)
    permission = policy.get("redrivePermission")
    if permission == "denyAll":
        return False
    if permission == "byQueue":
        region = arn_region(source_arn)
        allowed = policy.get("sourceQueueArns", [])
        return source_arn in {rehome(arn, region) for arn in allowed if isinstance(arn, str)}
    return True


def arn_region(arn: str) -> str:
    """The region field of an ARN ('' when it is not one)."""
    parts = arn.split(":", 5)
    return parts[3] if len(parts) == 6 else ""


def rehome(arn: str, region: str) -> str:
    """The same SQS ARN written for `region`: one server serves every region, so a queue's ARN
    differs only by the region its client signed for."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "sqs"] or not region:
        return arn
    parts[3] = region
    return ":".join(parts)


def defaults(fifo: bool) -> dict[str, str]:
    attrs = dict(COMMON_DEFAULTS)
    if fifo:
        attrs.update(FIFO_DEFAULTS)
    return attrs


def expand_names(names: list[str]) -> set[str]:
    """Requested attribute names, `All` expanded; unknown names raise InvalidAttributeName."""
    for name in names:
        if name not in ALL_NAMES:
            raise unknown_name(name)
    if "All" in names:
        return set(ALL_NAMES) - {"All"}
    return set(names)
