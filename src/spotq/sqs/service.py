"""The seam between protocol layers and the store: one `call` per SQS operation.

Inputs and outputs are in the JSON-protocol shape (botocore member names; Binary as bytes). Every
failure is raised as SqsError carrying its wire identity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from spotq.sqs import model, ops_messages, ops_queues
from spotq.sqs.errors import sqs_error
from spotq.sqs.store import Queue, SqsStore


@dataclass(frozen=True)
class RequestContext:
    """Where a request arrived: used to build queue URLs and ARNs in replies."""

    base_url: str
    region: str
    account_id: str


Handler = Callable[["SqsService", dict[str, Any], RequestContext], dict[str, Any]]

_HANDLERS: dict[str, Handler] = {**ops_queues.HANDLERS, **ops_messages.HANDLERS}
_URL_CACHE_SIZE = 4096


class SqsService:
    """Validates an operation's input against the model, runs it on the store, shapes the output."""

    def __init__(self, store: SqsStore) -> None:
        self.store = store
        self._operations = model.operation_names()
        self._url_names: dict[str, str] = {}

    def call(self, operation: str, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        """Run one operation; raise SqsError on any failure."""
        handler = _HANDLERS.get(operation)
        if handler is None or operation not in self._operations:
            raise sqs_error(
                "InvalidAction", f"The action {operation} is not valid for this endpoint."
            )
        model.check_input(operation, params)
        return handler(self, params, ctx)

    def queue_from_url(self, url: str) -> Queue:
        """The queue a QueueUrl names, from its last path segments (its host is ignored)."""
        name = self._url_names.get(url)
        if name is None:
            name = self._parse_url(url)
            if len(self._url_names) >= _URL_CACHE_SIZE:
                self._url_names.clear()
            self._url_names[url] = name
        return self.store.queue(name)

    def _parse_url(self, url: str) -> str:
        path = urlsplit(url).path if "://" in url else url
        parts = [part for part in path.split("/") if part]
        if not parts:
            raise sqs_error("InvalidAddress", f"The address {url} is not valid for this endpoint.")
        if len(parts) >= 2 and parts[-2] != self.store.account_id:
            raise sqs_error("QueueDoesNotExist", "The specified queue does not exist.")
        return parts[-1]

    def queue_url(self, queue: Queue, ctx: RequestContext) -> str:
        return f"{ctx.base_url}/{self.store.account_id}/{queue.name}"
