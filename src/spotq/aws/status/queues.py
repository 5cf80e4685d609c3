"""Queue depths from SQS, the oldest message's age from CloudWatch.

SQS has no attribute for the oldest message's age; CloudWatch's AWS/SQS
ApproximateAgeOfOldestMessage (one-minute points, a few minutes late) is the only source, so the
age is the latest point of the last `_AGE_WINDOW_S`, or None when there is none (an idle queue
publishes none, and neither does an emulator).
"""

from __future__ import annotations

from typing import Any

from spotq.aws.status.model import QueueRef, QueueStatus

_ATTRIBUTES = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]
_AGE_WINDOW_S = 15 * 60


def read_queue(sqs: Any, cloudwatch: Any, ref: QueueRef, now_s: float) -> QueueStatus:
    values = sqs.get_queue_attributes(QueueUrl=ref.url, AttributeNames=_ATTRIBUTES)["Attributes"]
    return QueueStatus(
        role=ref.role,
        name=ref.name,
        visible=int(values.get("ApproximateNumberOfMessages", 0)),
        in_flight=int(values.get("ApproximateNumberOfMessagesNotVisible", 0)),
        delayed=int(values.get("ApproximateNumberOfMessagesDelayed", 0)),
        oldest_age_s=oldest_age_s(cloudwatch, ref.name, now_s),
    )


def oldest_age_s(cloudwatch: Any, queue_name: str, now_s: float) -> float | None:
    """The latest one-minute maximum of ApproximateAgeOfOldestMessage, or None."""
    reply = cloudwatch.get_metric_statistics(
        Namespace="AWS/SQS",
        MetricName="ApproximateAgeOfOldestMessage",
        Dimensions=[{"Name": "QueueName", "Value": queue_name}],
        StartTime=now_s - _AGE_WINDOW_S,
        EndTime=now_s,
        Period=60,
        Statistics=["Maximum"],
    )
    points = sorted(reply.get("Datapoints", []), key=lambda p: p["Timestamp"])
    return float(points[-1]["Maximum"]) if points else None
