"""Queue-level operations: parse the JSON-shape input, call the store, shape the output."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from spotq.sqs import move_tasks, permissions, queues, validation
from spotq.sqs.store import Queue

if TYPE_CHECKING:
    from spotq.sqs.service import RequestContext, SqsService

Result = dict[str, Any]
_MAX_LIST = 1000


def create_queue(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queue = queues.create(svc.store, p["QueueName"], p.get("Attributes") or {}, p.get("tags") or {})
    return {"QueueUrl": svc.queue_url(queue, ctx)}


def delete_queue(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queues.delete(svc.store, svc.queue_from_url(p["QueueUrl"]))
    return {}


def get_queue_url(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    owner = p.get("QueueOwnerAWSAccountId")
    if owner is not None and owner != svc.store.account_id:
        svc.store.queue("")  # raises QueueDoesNotExist, as SQS does for other accounts
    return {"QueueUrl": svc.queue_url(svc.store.queue(p["QueueName"]), ctx)}


def _page(names: list[str], p: dict[str, Any], svc: SqsService, key: str) -> Result:
    """A page of sorted queue names as URLs, with SQS's MaxResults/NextToken rules."""
    max_results = validation.int_range("MaxResults", p.get("MaxResults"), 1, _MAX_LIST)
    token = p.get("NextToken")
    if token is not None:
        if max_results is None:
            raise validation.invalid_value("NextToken", token, "MaxResults must be provided.")
        try:
            after = base64.b64decode(token, validate=True).decode("utf-8")
        except ValueError:  # binascii.Error, UnicodeError and non-ASCII text alike
            raise validation.invalid_value("NextToken", token, "Invalid token.") from None
        names = [name for name in names if name > after]
    limit = max_results or _MAX_LIST
    page = names[:limit]
    out: Result = {key: page}
    if max_results is not None and len(names) > limit:
        out["NextToken"] = base64.b64encode(page[-1].encode("utf-8")).decode("ascii")
    return out


def list_queues(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    prefix = p.get("QueueNamePrefix") or ""
    names = sorted(name for name in svc.store.queues if name.startswith(prefix))
    out = _page(names, p, svc, "QueueUrls")
    out["QueueUrls"] = [svc.queue_url(svc.store.queue(n), ctx) for n in out["QueueUrls"]]
    if not out["QueueUrls"]:
        del out["QueueUrls"]
    return out


def list_dead_letter_source_queues(
    svc: SqsService, p: dict[str, Any], ctx: RequestContext
) -> Result:
    queue = svc.queue_from_url(p["QueueUrl"])
    names = [q.name for q in queues.dead_letter_sources(svc.store, queue)]
    out = _page(names, p, svc, "queueUrls")
    out["queueUrls"] = [svc.queue_url(svc.store.queue(n), ctx) for n in out["queueUrls"]]
    return out


def purge_queue(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queues.purge(svc.store, svc.queue_from_url(p["QueueUrl"]))
    return {}


def get_queue_attributes(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queue = svc.queue_from_url(p["QueueUrl"])
    names = p.get("AttributeNames") or []
    attrs = queues.get_attributes(svc.store, queue, names, ctx.region)
    return {"Attributes": attrs} if attrs else {}


def set_queue_attributes(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queues.set_attributes(svc.store, svc.queue_from_url(p["QueueUrl"]), p["Attributes"])
    return {}


def tag_queue(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queue = svc.queue_from_url(p["QueueUrl"])
    tags = dict(queue.tags)
    tags.update(p["Tags"])
    queues.set_tags(svc.store, queue, tags)
    return {}


def untag_queue(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queue = svc.queue_from_url(p["QueueUrl"])
    tags = {k: v for k, v in queue.tags.items() if k not in set(p["TagKeys"])}
    queues.set_tags(svc.store, queue, tags)
    return {}


def list_queue_tags(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queue: Queue = svc.queue_from_url(p["QueueUrl"])
    return {"Tags": dict(queue.tags)} if queue.tags else {}


def add_permission(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    queue = svc.queue_from_url(p["QueueUrl"])
    permissions.add(svc.store, queue, p["Label"], p["AWSAccountIds"], p["Actions"])
    return {}


def remove_permission(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    permissions.remove(svc.store, svc.queue_from_url(p["QueueUrl"]), p["Label"])
    return {}


def start_message_move_task(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    rate = p.get("MaxNumberOfMessagesPerSecond")
    handle = move_tasks.start(svc.store, p["SourceArn"], p.get("DestinationArn"), rate)
    return {"TaskHandle": handle}


def cancel_message_move_task(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    return {"ApproximateNumberOfMessagesMoved": move_tasks.cancel(svc.store, p["TaskHandle"])}


def list_message_move_tasks(svc: SqsService, p: dict[str, Any], ctx: RequestContext) -> Result:
    return {"Results": move_tasks.list_tasks(svc.store, p["SourceArn"], p.get("MaxResults"))}


HANDLERS = {
    "CreateQueue": create_queue,
    "DeleteQueue": delete_queue,
    "GetQueueUrl": get_queue_url,
    "ListQueues": list_queues,
    "ListDeadLetterSourceQueues": list_dead_letter_source_queues,
    "PurgeQueue": purge_queue,
    "GetQueueAttributes": get_queue_attributes,
    "SetQueueAttributes": set_queue_attributes,
    "TagQueue": tag_queue,
    "UntagQueue": untag_queue,
    "ListQueueTags": list_queue_tags,
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "StartMessageMoveTask": start_message_move_task,
    "CancelMessageMoveTask": cancel_message_move_task,
    "ListMessageMoveTasks": list_message_move_tasks,
}
