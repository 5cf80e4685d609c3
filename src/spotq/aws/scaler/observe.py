"""One reading of what the policy needs, straight from the APIs (no CloudWatch in the path).

- SQS GetQueueAttributes on each work queue: visible, in flight (and delayed, for the log).
- ECS DescribeServices: the desired, running and pending task counts.
- The job table's `by_app` index: jobs submitted since the last reading (the arrival count the
  policy's rate window needs; SQS keeps no counter of messages sent).

ECS cannot say which tasks are busy, so busy is estimated as the in-flight messages capped at the
tasks: every busy worker holds at least one message in flight. With one message per worker (the
simulator's model) the estimate is exact; with batches it errs high, which only delays scale-in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from spotq.aws import dynamo_schema
from spotq.aws.scaler.config import ScalerConfig
from spotq.scaling.base import Observation

_QUEUE_ATTRIBUTES = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


class ReadError(Exception):
    """An API the scaler reads from failed or answered nothing usable; the tick is skipped."""


@dataclass(frozen=True)
class Reading:
    """Raw counts at one tick."""

    visible: int
    in_flight: int
    delayed: int
    desired: int
    running: int
    pending: int

    def observation(self, now_s: float, arrived: int) -> Observation:
        """The policy's view. The service's desired count is the fleet: tasks ECS is still
        placing count as starting, tasks above it are being stopped (as draining workers are not
        counted locally)."""
        running = min(self.running, self.desired)
        return Observation(
            now_s=now_s,
            visible=self.visible,
            in_flight=self.in_flight,
            running=running,
            starting=self.desired - running,
            busy=min(self.desired, self.in_flight),
            arrived=arrived,
        )


def read_queues(sqs: Any, urls: tuple[str, ...]) -> tuple[int, int, int]:
    """(visible, in flight, delayed) summed over the work queues."""
    visible = in_flight = delayed = 0
    for url in urls:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=_QUEUE_ATTRIBUTES)
        values = attrs.get("Attributes", {})
        try:
            visible += int(values["ApproximateNumberOfMessages"])
            in_flight += int(values["ApproximateNumberOfMessagesNotVisible"])
            delayed += int(values.get("ApproximateNumberOfMessagesDelayed", 0))
        except (KeyError, ValueError) as exc:
            raise ReadError(f"queue {url}: attributes missing from the reply ({exc})") from exc
    return visible, in_flight, delayed


def read_service(ecs: Any, cluster: str, service: str) -> tuple[int, int, int]:
    """(desired, running, pending) of the ECS service."""
    reply = ecs.describe_services(cluster=cluster, services=[service])
    found = [s for s in reply.get("services", []) if s.get("status") == "ACTIVE"]
    if not found:
        reasons = [f.get("reason", "?") for f in reply.get("failures", [])]
        raise ReadError(f"service {service!r} in {cluster!r}: not active ({', '.join(reasons)})")
    s = found[0]
    return int(s["desiredCount"]), int(s["runningCount"]), int(s["pendingCount"])


def count_arrivals(dynamodb: Any, cfg: ScalerConfig, after_s: float, upto_s: float) -> int:
    """Jobs of this app submitted in (after_s, upto_s], from the job table's by_app index."""
    if upto_s <= after_s:
        return 0
    kwargs: dict[str, Any] = {
        "TableName": cfg.table,
        "IndexName": dynamo_schema.APP_INDEX,
        "Select": "COUNT",
        "KeyConditionExpression": "#app = :app AND #at BETWEEN :lo AND :hi",
        "ExpressionAttributeNames": {
            "#app": dynamo_schema.APP_ATTR,
            "#at": dynamo_schema.SUBMITTED_ATTR,
        },
        "ExpressionAttributeValues": {
            ":app": {"S": cfg.app},
            # BETWEEN is inclusive: start just above the previous bound so nothing counts twice.
            ":lo": {"N": repr(math.nextafter(after_s, math.inf))},
            ":hi": {"N": repr(upto_s)},
        },
    }
    total = 0
    while True:
        page = dynamodb.query(**kwargs)
        total += int(page.get("Count", 0))
        last = page.get("LastEvaluatedKey")
        if not last:
            return total
        kwargs["ExclusiveStartKey"] = last


def read(clients: Any, cfg: ScalerConfig) -> Reading:
    """Queues and service, in that order (a job sent between the two is seen next tick)."""
    visible, in_flight, delayed = read_queues(clients.sqs, cfg.queue_urls)
    desired, running, pending = read_service(clients.ecs, cfg.cluster, cfg.service)
    return Reading(visible, in_flight, delayed, desired, running, pending)
