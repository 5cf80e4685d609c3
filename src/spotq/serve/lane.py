"""The model's one lane: every handler call of a process runs on one thread, one at a time, in
priority order, so the event loop never blocks on the model and streams share it with batches."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from enum import IntEnum
from typing import Any, TypeVar

T = TypeVar("T")


class Priority(IntEnum):
    """Lower runs first. A final transcript ends a wait someone is timing; a partial is a
    courtesy that may be skipped when the model is busy."""

    FINAL = 0
    BATCH = 1
    PARTIAL = 2


_Item = tuple[int, int, Callable[[], Any], "asyncio.Future[Any]"]


class ModelLane:
    """A priority queue of model calls drained by one worker thread."""

    def __init__(self) -> None:
        self._queue: asyncio.PriorityQueue[_Item] = asyncio.PriorityQueue()
        self._order = itertools.count()  # FIFO within a priority
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="spotq-model")
        self._task: asyncio.Task[None] | None = None
        self.busy = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="spotq-model-lane")

    async def call(self, priority: Priority, fn: Callable[[], T]) -> T:
        """Run `fn` on the model thread when its turn comes; its result or exception comes back.
        A caller cancelled while waiting gives up its turn."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((int(priority), next(self._order), fn, future))
        return await future

    def waiting(self) -> int:
        return self._queue.qsize()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            _, _, fn, future = await self._queue.get()
            if future.done():  # its caller gave up
                continue
            self.busy = True
            try:
                result = await loop.run_in_executor(self._executor, fn)
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)
            finally:
                self.busy = False

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        # A call still running finishes on its thread; nobody waits for its result.
        self._executor.shutdown(wait=False, cancel_futures=True)
