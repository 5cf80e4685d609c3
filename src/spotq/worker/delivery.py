"""Messages as the worker holds them, and the few SQS calls it makes on them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

_SYSTEM_ATTRIBUTES = ["ApproximateReceiveCount", "SentTimestamp"]


@dataclass(frozen=True)
class Delivery:
    """One received message."""

    queue_url: str
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    sent_at_s: float
    received_at_s: float


def receive(
    sqs: Any, queue_url: str, max_messages: int, wait_s: int, now_s: Callable[[], float]
) -> list[Delivery]:
    """Receive up to `max_messages`, long-polling up to `wait_s` seconds (0 = do not wait)."""
    reply = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=max_messages,
        WaitTimeSeconds=wait_s,
        MessageSystemAttributeNames=_SYSTEM_ATTRIBUTES,
    )
    received_at_s = now_s()
    deliveries = []
    for message in reply.get("Messages", []):
        attributes = message.get("Attributes", {})
        deliveries.append(
            Delivery(
                queue_url=queue_url,
                message_id=message["MessageId"],
                receipt_handle=message["ReceiptHandle"],
                body=message.get("Body", ""),
                receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
                sent_at_s=int(attributes.get("SentTimestamp", "0")) / 1000.0,
                received_at_s=received_at_s,
            )
        )
    return deliveries


MAX_BATCH_ENTRIES = 10  # SQS's limit on entries per *Batch call


def _by_queue(deliveries: Sequence[Delivery]) -> list[tuple[str, list[Delivery]]]:
    """Deliveries grouped per queue, in groups of at most one batch call's entries."""
    groups: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        groups[delivery.queue_url].append(delivery)
    return [
        (url, group[i : i + MAX_BATCH_ENTRIES])
        for url, group in groups.items()
        for i in range(0, len(group), MAX_BATCH_ENTRIES)
    ]


def delete(sqs: Any, deliveries: Sequence[Delivery]) -> list[str]:
    """Delete messages (any number, 10 per call); return error strings for any that failed."""
    errors: list[str] = []
    for queue_url, group in _by_queue(deliveries):
        entries = [{"Id": str(i), "ReceiptHandle": d.receipt_handle} for i, d in enumerate(group)]
        errors.extend(_batch_call(sqs.delete_message_batch, queue_url, entries))
    return errors


def set_visibility(sqs: Any, deliveries: Sequence[Delivery], timeout_s: int) -> list[str]:
    """Change visibility (0 = visible again at once); return error strings for failures."""
    errors: list[str] = []
    for queue_url, group in _by_queue(deliveries):
        entries = [
            {"Id": str(i), "ReceiptHandle": d.receipt_handle, "VisibilityTimeout": timeout_s}
            for i, d in enumerate(group)
        ]
        errors.extend(_batch_call(sqs.change_message_visibility_batch, queue_url, entries))
    return errors


def renew(sqs: Any, delivery: Delivery, delay_s: int) -> list[str]:
    """Send the message again as a new one (receive count 1, visible after `delay_s`), then
    delete the delivered one; if the send fails nothing is deleted. Return error strings."""
    try:
        sqs.send_message(
            QueueUrl=delivery.queue_url,
            MessageBody=delivery.body,
            DelaySeconds=max(0, min(900, delay_s)),
        )
    except (BotoCoreError, ClientError) as exc:
        return [f"renew: {exc}"]
    return delete(sqs, [delivery])


def _batch_call(call: Any, queue_url: str, entries: list[dict[str, Any]]) -> list[str]:
    try:
        reply = call(QueueUrl=queue_url, Entries=entries)
    except (BotoCoreError, ClientError) as exc:
        return [str(exc)]
    return [f"{f.get('Code')}: {f.get('Message')}" for f in reply.get("Failed", [])]
