"""Fair share: when the backlog is short, a worker takes only its share of it.

A worker asks for a whole batch (`batch_size` messages) per receive. With a deep queue that is
right, but at the end of a run it is not: the worker that receives the last full batch works
through it alone while the others go idle (with 10 clips per call taking ~3 s, one worker
finished 2.3 s after the other on 100 short clips). So before a receive, a worker whose handler
calls are slow enough that one more request per call costs nothing asks the queue how many
messages are visible and how many are in flight, counts each batch in flight as another busy
worker, and takes at most `visible / (busy others + 1)`, rounded up. The last batches of a run
therefore shrink and the workers finish together; a deep queue still gives full batches.
"""

from __future__ import annotations

import math
from typing import Any

SHARE_MIN_CALL_S = 0.5  # handler calls at least this slow: one GetQueueAttributes per receive
_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]


def fair_share(asked: int, batch_size: int, visible: int, in_flight: int) -> int:
    """How many of `asked` messages to receive when `visible` are waiting and `in_flight` are
    held by other workers (each busy one holding up to `batch_size`). An empty queue keeps the
    full size: a long poll takes whatever arrives."""
    if visible <= 0 or asked <= 1:
        return asked
    busy_others = math.ceil(in_flight / max(1, batch_size))
    return max(1, min(asked, math.ceil(visible / (busy_others + 1))))


def queue_backlog(sqs: Any, queue_url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue, as SQS approximates them."""
    reply = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=_ATTRIBUTES)
    attributes = reply.get("Attributes", {})
    return (
        int(attributes.get("ApproximateNumberOfMessages", "0")),
        int(attributes.get("ApproximateNumberOfMessagesNotVisible", "0")),
    )
