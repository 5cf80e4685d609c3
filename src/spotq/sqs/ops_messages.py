"""Message-level operations: parse the JSON-shape input, call the store, shape the output."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spotq.sqs import inflight, messages, receive, validation
from spotq.sqs.digests import md5_of_attributes
from spotq.sqs.errors import SqsError, sqs_error
from spotq.sqs.messages import NewMessage, Sent

if TYPE_CHECKING:
    from spotq.sqs.service import RequestContext, SqsService

Result = dict[str, Any]
_SYSTEM_NAMES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)
_NO_NAMES: frozenset[str] = frozenset()


def _new_message(p: dict[str, Any]) -> NewMessage:
    system = p.get("MessageSystemAttributes") or {}
    for name in system:
        if name != "AWSTraceHeader":
            raise validation.invalid_value(
                "MessageSystemAttributes",
                name,
                f"Message system attribute {name} is not supported.",
            )
    return NewMessage(
        body=p["MessageBody"],
        attributes=p.get("MessageAttributes") or {},
        trace_header=system.get("AWSTraceHeader"),
        delay_s=p.get("DelaySeconds"),
        group_id=p.get("MessageGroupId"),
        dedup_id=p.get("MessageDeduplicationId"),
    )


def _sent(sent: Sent) -> Result:
    out: Result = {"MD5OfMessageBody": sent.md5_body, "MessageId": sent.message_id}
    if sent.md5_attrs is not None:
        out["MD5OfMessageAttributes"] = sent.md5_attrs
    if sent.md5_sys is not None:
        out["MD5OfMessageSystemAttributes"] = sent.md5_sys
    if sent.sequence_number is not None:
        out["SequenceNumber"] = sent.sequence_number
    return out


def send_message(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queue = svc.queue_from_url(p["QueueUrl"])
    store = svc.store
    with store.tx():
        sent = messages.send(store, queue, _new_message(p), ctx.account_id)
    return _sent(sent)


def _utf8(text: str) -> bytes:
    """UTF-8 for sizing; a lone surrogate passes here so that the entry's own character check
    answers it with InvalidMessageContents instead of an encoding crash."""
    return text.encode("utf-8", "surrogatepass")


def _batch_bytes(entries: list[dict[str, Any]]) -> int:
    total = 0
    for entry in entries:
        total += len(_utf8(entry["MessageBody"]))
        for name, value in (entry.get("MessageAttributes") or {}).items():
            total += len(name) + len(str(value.get("DataType", "")))
            text = value.get("StringValue")
            total += len(_utf8(text)) if isinstance(text, str) else 0
            binary = value.get("BinaryValue")
            total += len(binary) if isinstance(binary, bytes) else 0
    return total


def _check_batch_bytes(size: int) -> None:
    if size > validation.MAX_MESSAGE_BYTES:
        raise sqs_error(
            "BatchRequestTooLong",
            f"Batch requests cannot be longer than {validation.MAX_MESSAGE_BYTES} bytes. "
            f"You have sent {size} bytes.",
        )


def send_message_batch(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queue = svc.queue_from_url(p["QueueUrl"])
    entries = p["Entries"]
    validation.batch_entries(entries, "SendMessageBatchRequestEntry")
    # Every entry has the required Id and MessageBody (the input check saw to it), so two
    # members per entry on average means exactly those two in each.
    if not queue.fifo and sum(map(len, entries)) == 2 * len(entries):
        # Only the required Id and MessageBody: no attributes, delay, group or dedup id.
        bodies = [e["MessageBody"] for e in entries]
        encoded = [body.encode("utf-8", "surrogatepass") for body in bodies]  # as _utf8 does
        _check_batch_bytes(sum(map(len, encoded)))
        plain = list(zip([e["Id"] for e in entries], bodies, encoded, strict=True))
        with svc.store.tx():
            done, refused = messages.send_plain(svc.store, queue, plain, ctx.account_id)
        return {"Successful": done, "Failed": refused}
    _check_batch_bytes(_batch_bytes(entries))
    batch: list[tuple[str, NewMessage]] = []
    failed: list[Result] = []
    for entry in entries:
        try:
            batch.append((entry["Id"], _new_message(entry)))
        except SqsError as error:
            failed.append(messages.batch_error(entry["Id"], error))
    store = svc.store
    with store.tx():
        sent, errors = messages.send_many(store, queue, batch, ctx.account_id)
    failed.extend(messages.batch_error(entry_id, error) for entry_id, error in errors)
    ok = [{"Id": entry_id, **_sent(reply)} for entry_id, reply in sent]
    return {"Successful": ok, "Failed": failed}


def wait_seconds(svc: SqsService, p: dict[str, Any]) -> int:
    """How long a ReceiveMessage may wait for messages (its own or the queue's setting)."""
    wait = validation.int_range(
        "WaitTimeSeconds", p.get("WaitTimeSeconds"), 0, validation.MAX_WAIT_S
    )
    if wait is not None:
        return wait
    return svc.queue_from_url(p["QueueUrl"]).wait_s


def receive_message(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queue = svc.queue_from_url(p["QueueUrl"])
    validation.int_range("WaitTimeSeconds", p.get("WaitTimeSeconds"), 0, validation.MAX_WAIT_S)
    max_messages = p.get("MaxNumberOfMessages")
    system = _system_names(p)
    wanted_attrs = p.get("MessageAttributeNames") or []
    got = receive.receive(
        svc.store,
        queue,
        1 if max_messages is None else max_messages,
        p.get("VisibilityTimeout"),
        p.get("ReceiveRequestAttemptId"),
        lean=not system and not wanted_attrs,
    )
    if not got:
        return {}
    if not system and not wanted_attrs:
        # What _render makes of a message when no attributes are asked for, without a call each.
        return {
            "Messages": [
                {
                    "MessageId": m.message_id,
                    "ReceiptHandle": m.receipt_handle,
                    "MD5OfBody": m.md5_body,
                    "Body": m.body,
                }
                for m in got
            ]
        }
    return {"Messages": [_render(m, system, wanted_attrs) for m in got]}


def _system_names(p: dict[str, Any]) -> frozenset[str]:
    if not p.get("AttributeNames") and not p.get("MessageSystemAttributeNames"):
        return _NO_NAMES
    names = set(p.get("AttributeNames") or ()) | set(p.get("MessageSystemAttributeNames") or ())
    if "All" in names:
        return frozenset(_SYSTEM_NAMES)
    return frozenset(names & set(_SYSTEM_NAMES))


def _render(m: receive.Received, system: frozenset[str], wanted: list[str]) -> Result:
    out: Result = {
        "MessageId": m.message_id,
        "ReceiptHandle": m.receipt_handle,
        "MD5OfBody": m.md5_body,
        "Body": m.body,
    }
    if system:
        attrs = _system_values(m)
        picked = {k: v for k, v in attrs.items() if k in system}
        if picked:
            out["Attributes"] = picked
    if wanted and m.attrs is not None:
        user = _filter_attributes(messages.decode_attributes(m.attrs), wanted)
        if user:
            out["MessageAttributes"] = user
            out["MD5OfMessageAttributes"] = md5_of_attributes(user)
    return out


def _system_values(m: receive.Received) -> dict[str, str]:
    values = {
        "SenderId": m.sender_id,
        "SentTimestamp": str(int(m.sent_s * 1000)),
        "ApproximateReceiveCount": str(m.receive_count),
        "ApproximateFirstReceiveTimestamp": str(int(m.first_receive_s * 1000)),
    }
    if m.dedup_id is not None:
        values["SequenceNumber"] = messages.sequence_number(m.seq)
        values["MessageDeduplicationId"] = m.dedup_id
    if m.group_id is not None:
        values["MessageGroupId"] = m.group_id
    if m.trace_header is not None:
        values["AWSTraceHeader"] = m.trace_header
    if m.dlq_source_arn is not None:
        values["DeadLetterQueueSourceArn"] = m.dlq_source_arn
    return values


def _filter_attributes(attrs: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    """`All`, `*` and `.*` select every attribute; `Hel.*` those whose name starts `Hel`."""
    if "All" in wanted or ".*" in wanted or "*" in wanted:
        return attrs
    exact = {w for w in wanted if not w.endswith(".*")}
    prefixes = tuple(w[:-2] for w in wanted if w.endswith(".*"))
    return {k: v for k, v in attrs.items() if k in exact or (prefixes and k.startswith(prefixes))}


def delete_message(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queue = svc.queue_from_url(p["QueueUrl"])
    inflight.delete(svc.store, queue, p["ReceiptHandle"])
    return {}


def delete_message_batch(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queue = svc.queue_from_url(p["QueueUrl"])
    entries = p["Entries"]
    validation.batch_entries(entries, "DeleteMessageBatchRequestEntry")
    errors = inflight.delete_many(
        svc.store, queue, [(entry["Id"], entry["ReceiptHandle"]) for entry in entries]
    )
    bad = {entry_id for entry_id, _ in errors}
    return {
        "Successful": [{"Id": entry["Id"]} for entry in entries if entry["Id"] not in bad],
        "Failed": [messages.batch_error(entry_id, error) for entry_id, error in errors],
    }


def change_message_visibility(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queue = svc.queue_from_url(p["QueueUrl"])
    with svc.store.tx():
        inflight.change_visibility(svc.store, queue, p["ReceiptHandle"], p["VisibilityTimeout"])
    return {}


def change_message_visibility_batch(
    svc: SqsService, p: dict[str, Any], ctx: RequestContext
) -> Result:
    queue = svc.queue_from_url(p["QueueUrl"])
    entries = p["Entries"]
    validation.batch_entries(entries, "ChangeMessageVisibilityBatchRequestEntry")
    ok: list[Result] = []
    failed: list[Result] = []
    with svc.store.tx():
        for entry in entries:
            try:
                timeout_s = entry.get("VisibilityTimeout")
                if timeout_s is None:
                    raise validation.missing("VisibilityTimeout")
                inflight.change_visibility(svc.store, queue, entry["ReceiptHandle"], timeout_s)
            except SqsError as error:
                failed.append(messages.batch_error(entry["Id"], error))
                continue
            ok.append({"Id": entry["Id"]})
    return {"Successful": ok, "Failed": failed}


HANDLERS = {
    "SendMessage": send_message,
    "SendMessageBatch": send_message_batch,
    "ReceiveMessage": receive_message,
    "DeleteMessage": delete_message,
    "DeleteMessageBatch": delete_message_batch,
    "ChangeMessageVisibility": change_message_visibility,
    "ChangeMessageVisibilityBatch": change_message_visibility_batch,
}
