"""Fair share: when the backlog is short, a worker takes only its share of it.

A worker asks for a whole batch (`batch_size` messages) per receive. With a deep queue that is
right, but at the end of a run it is not: the worker that receives the last full batch works
through it alone while the others go idle (with 10 clips per call taking ~3 s, one worker
finished 2.3 s after the other on 100 short clips). So before a receive, a worker whose handler
calls are slow enough that one more request per call costs nothing asks the queue how many
messages are visible and how many are in flight, and takes at most `visible / (others + 1)`,
rounded up, where `others` counts the full batches in flight: a worker holding a full batch will
come back for more, one holding part of a batch took its share of this backlog already, so the
rest is for the workers still to come. The last ten messages of two workers therefore go 5 + 5
(counting every batch in flight as a busy worker split them 5, 3, 1, 1: two more calls, and a
lone job in a call of its own, which for a packing handler costs nearly what a full call does).
A deep queue still gives full batches.
"""

from __future__ import annotations

import math
from typing import Any

SHARE_MIN_CALL_S = 0.5  # handler calls at least this slow: one GetQueueAttributes per receive
_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]


def fair_share(asked: int, batch_size: int, visible: int, in_flight: int) -> int:
    """How many of `asked` messages to receive when `visible` are waiting and `in_flight` are
    held by other workers (a full batch is `batch_size`). An empty queue keeps the full size: a
    long poll takes whatever arrives."""
    if visible <= 0 or asked <= 1:
        return asked
    others = in_flight // max(1, batch_size)  # full batches: their workers come back for more
    return max(1, min(asked, math.ceil(visible / (others + 1))))


def queue_backlog(sqs: Any, queue_url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue, as SQS approximates them."""
    reply = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=_ATTRIBUTES)
    attributes = reply.get("Attributes", {})
    return (
        int(attributes.get("ApproximateNumberOfMessages", "0")),
        int(attributes.get("ApproximateNumberOfMessagesNotVisible", "0")),
    )
