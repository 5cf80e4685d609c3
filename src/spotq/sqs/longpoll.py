"""Long polling: a ReceiveMessage waits on a per-queue wake-up instead of polling.

The store tells `Waiters.notify` after any commit that may have made messages receivable (send,
visibility reset, move task, a due delay or timeout applied). A waiter also wakes at the queue's
next known visibility deadline, so delayed and timed-out messages are picked up on time.
"""

from __future__ import annotations

import asyncio
from typing import Any

from spotq.sqs import ops_messages
from spotq.sqs.service import RequestContext, SqsService


class Waiters:
    """Per-queue futures of waiting receives, resolved together on notify (in arrival order)."""

    def __init__(self) -> None:
        self._by_queue: dict[int, list[asyncio.Future[None]]] = {}

    def notify(self, queue_id: int, count: int | None = None) -> None:
        """Wake the `count` longest-waiting receives of a queue (all of them when None), so
        that one message does not stampede every waiting worker."""
        futures = self._by_queue.get(queue_id)
        if not futures:
            return
        left = len(futures) if count is None else count
        index = 0
        while index < len(futures) and left > 0:
            future = futures[index]
            if not future.done():
                future.set_result(None)
                left -= 1
            index += 1
        del futures[:index]
        if not futures:
            del self._by_queue[queue_id]

    async def wait(self, queue_id: int, timeout_s: float) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._by_queue.setdefault(queue_id, []).append(future)
        timer = loop.call_later(max(timeout_s, 0.0), _resolve, future)
        try:
            await future
        finally:
            timer.cancel()
            waiting = self._by_queue.get(queue_id)
            if waiting is not None and future in waiting:
                waiting.remove(future)

    def cancel_all(self) -> None:
        for futures in self._by_queue.values():
            for future in futures:
                future.cancel()
        self._by_queue.clear()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def receive_waiting(
    service: SqsService,
    waiters: Waiters,
    params: dict[str, Any],
    ctx: RequestContext,
    wait_s: float,
) -> dict[str, Any]:
    """Retry ReceiveMessage whenever the queue may have messages, until some arrive or time ends."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    store = service.store
    while True:
        # Receive and register in the same step (no await between): no wake-up can be missed.
        result = service.call("ReceiveMessage", params, ctx)
        if result.get("Messages"):
            return result
        remaining_s = deadline - loop.time()
        if remaining_s <= 0:
            return {}
        queue = service.queue_from_url(params["QueueUrl"])
        until_visible_s = queue.next_visible_s - store.now()
        await waiters.wait(queue.id, min(remaining_s, max(until_visible_s, 0.0)))


def wait_time(service: SqsService, params: dict[str, Any]) -> int:
    return ops_messages.wait_seconds(service, params)
