"""The queues as the API sees them: send job messages, read depths, peek and redrive the DLQ.

Every call goes through a boto3 SQS client, so the same code talks to the embedded server and AWS.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from spotq.api.errors import NotReady
from spotq.queues import existing_queue_url
from spotq.stack import StackConfig

SEND_BATCH_MAX = 10  # an SQS SendMessageBatch limit
# SQS refuses a whole SendMessageBatch whose bodies add up to more than its batch payload limit
# (BatchRequestTooLong): 256 KiB on queues made before 2025's 1 MiB limit, so the budget that fits
# every queue. A body larger than it (never with the default claim-check size) goes alone.
SEND_BATCH_MAX_BYTES = 262_144
SEND_CONCURRENCY = 4
_DEPTH_ATTRS = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
T = TypeVar("T")


def queue_call(what: str, call: Callable[[], T]) -> T:
    """Run one queue operation; an unreachable or failing queue becomes NotReady (503)."""
    try:
        return call()
    except (BotoCoreError, ClientError, OSError) as exc:
        raise NotReady(f"the queue server did not answer {what}: {exc}") from None


@dataclass(frozen=True)
class SendFailure:
    """Why one message was not enqueued. `permanent`: the queue refused this message itself
    (a sender fault such as InvalidMessageContents), so sending it again cannot succeed."""

    reason: str
    permanent: bool


@dataclass(frozen=True)
class QueueDepth:
    visible: int
    in_flight: int


@dataclass(frozen=True)
class DlqMessage:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int


class QueueGateway:
    """Queue URLs resolved once; the operations the API and the fleet need, nothing more."""

    def __init__(self, client: Any, stack: StackConfig) -> None:
        self._client = client
        self._pool = ThreadPoolExecutor(
            max_workers=SEND_CONCURRENCY, thread_name_prefix="spotq-send"
        )
        self._sent = 0
        self._sent_lock = threading.Lock()
        # An app consuming an existing queue (its `queue` option) gets its jobs submitted there.
        self.normal_url = self._existing(stack.work_queue) or self._url(stack.queue_name)
        self.high_url = self._url(stack.high_queue_name)
        self.dlq_url = self._url(stack.dlq_name)

    def _existing(self, reference: str | None) -> str | None:
        try:
            return existing_queue_url(self._client, reference)
        except Exception as exc:
            raise NotReady(f"queue {reference!r} is not reachable: {exc}") from exc

    def _url(self, name: str) -> str:
        try:
            return str(self._client.get_queue_url(QueueName=name)["QueueUrl"])
        except Exception as exc:
            raise NotReady(f"queue {name!r} is not reachable: {exc}") from exc

    def send(self, body: str, *, high: bool) -> None:
        url = self.high_url if high else self.normal_url
        self._client.send_message(QueueUrl=url, MessageBody=body)
        self._count_sent(1)

    @property
    def sent_total(self) -> int:
        """Messages this gateway has enqueued since it started (the fleet's arrival count)."""
        return self._sent

    def _count_sent(self, count: int) -> None:
        with self._sent_lock:
            self._sent += count

    def send_many(self, bodies: Sequence[tuple[str, str]], *, high: bool) -> dict[str, SendFailure]:
        """Send (id, body) pairs in batches of up to ten (and SEND_BATCH_MAX_BYTES), a few batches
        in flight at once (a round trip costs more than the work); return the ids that failed,
        with why."""
        url = self.high_url if high else self.normal_url
        chunks = _chunks(bodies)
        if len(chunks) == 1:
            return self._send_chunk(url, chunks[0])
        failed: dict[str, SendFailure] = {}
        for chunk_failed in self._pool.map(lambda c: self._send_chunk(url, c), chunks):
            failed.update(chunk_failed)
        return failed

    def _send_chunk(self, url: str, chunk: Sequence[tuple[str, str]]) -> dict[str, SendFailure]:
        entries = [{"Id": str(i), "MessageBody": body} for i, (_, body) in enumerate(chunk)]
        try:
            reply = self._client.send_message_batch(QueueUrl=url, Entries=entries)
        except Exception as exc:  # the whole call failed: the queue is down or overloaded
            failure = SendFailure(f"{type(exc).__name__}: {exc}", permanent=False)
            return {job_id: failure for job_id, _ in chunk}
        failed = {
            chunk[int(f["Id"])][0]: SendFailure(
                f"{f.get('Code', 'Failed')}: {f.get('Message', '')}",
                permanent=bool(f.get("SenderFault")),
            )
            for f in reply.get("Failed", [])
        }
        self._count_sent(len(chunk) - len(failed))
        return failed

    def close(self) -> None:
        self._pool.shutdown(wait=False)

    def depth(self, url: str) -> QueueDepth:
        attrs = self._client.get_queue_attributes(QueueUrl=url, AttributeNames=_DEPTH_ATTRS)
        values = attrs.get("Attributes", {})
        return QueueDepth(
            visible=int(values.get("ApproximateNumberOfMessages", 0)),
            in_flight=int(values.get("ApproximateNumberOfMessagesNotVisible", 0)),
        )

    def work_depth(self) -> QueueDepth:
        """Normal and high queues together: the backlog a fleet scales on."""
        normal, high = self.depth(self.normal_url), self.depth(self.high_url)
        return QueueDepth(normal.visible + high.visible, normal.in_flight + high.in_flight)

    def peek_dlq(self, limit: int, hold_s: int = 10) -> list[DlqMessage]:
        """Up to `limit` DLQ messages, left in the DLQ and made visible again afterwards."""
        seen: dict[str, DlqMessage] = {}
        while len(seen) < limit:
            reply = self._client.receive_message(
                QueueUrl=self.dlq_url,
                MaxNumberOfMessages=min(10, limit - len(seen)),
                VisibilityTimeout=hold_s,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
                WaitTimeSeconds=0,
            )
            batch = reply.get("Messages", [])
            if not batch:
                break
            for m in batch:
                count = int(m.get("Attributes", {}).get("ApproximateReceiveCount", 0))
                message = DlqMessage(m["MessageId"], m["ReceiptHandle"], m["Body"], count)
                seen[message.message_id] = message
        self._release([m.receipt_handle for m in seen.values()])
        return list(seen.values())

    def _release(self, handles: Sequence[str]) -> None:
        for start in range(0, len(handles), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
                for i, h in enumerate(handles[start : start + 10])
            ]
            self._client.change_message_visibility_batch(QueueUrl=self.dlq_url, Entries=entries)

    def dlq_arn(self) -> str:
        url = self.dlq_url
        attrs = self._client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(attrs["Attributes"]["QueueArn"])

    def start_redrive(self) -> str | None:
        """Move every DLQ message back to the queue it came from; returns the task handle."""
        reply = self._client.start_message_move_task(SourceArn=self.dlq_arn())
        handle = reply.get("TaskHandle")
        return str(handle) if handle else None

    def redrive_running(self) -> bool:
        reply = self._client.list_message_move_tasks(SourceArn=self.dlq_arn(), MaxResults=1)
        tasks = reply.get("Results", [])
        return bool(tasks) and tasks[0].get("Status") == "RUNNING"

    def reachable(self) -> bool:
        try:
            self.depth(self.normal_url)
        except Exception:
            return False
        return True


def job_id_of(body: str) -> str | None:
    """The job id in a message body, or None for a body that is not a spotq job message."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    job_id = data.get("job_id") if isinstance(data, dict) else None
    return job_id if isinstance(job_id, str) else None


def _chunks(bodies: Sequence[tuple[str, str]]) -> list[Sequence[tuple[str, str]]]:
    """(id, body) pairs in order, cut into SendMessageBatch calls SQS accepts: at most
    SEND_BATCH_MAX entries whose bodies add up to at most SEND_BATCH_MAX_BYTES."""
    chunks: list[Sequence[tuple[str, str]]] = []
    start, size = 0, 0
    for i, (_, body) in enumerate(bodies):
        body_bytes = len(body.encode())
        full = i - start == SEND_BATCH_MAX or size + body_bytes > SEND_BATCH_MAX_BYTES
        if i > start and full:
            chunks.append(bodies[start:i])
            start, size = i, 0
        size += body_bytes
    if start < len(bodies):
        chunks.append(bodies[start:])
    return chunks
