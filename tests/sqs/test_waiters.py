"""The long-poll wake-up registry: counted wake-ups go to the longest waiters first."""

from __future__ import annotations

import asyncio

from spotq.sqs.longpoll import Waiters


def test_counted_notify_wakes_the_oldest_waiters_only() -> None:
    async def scenario() -> list[int]:
        waiters = Waiters()
        woken: list[int] = []

        async def wait(n: int) -> None:
            await waiters.wait(7, 5.0)
            woken.append(n)

        tasks = [asyncio.create_task(wait(n)) for n in range(4)]
        await asyncio.sleep(0)
        waiters.notify(7, 2)
        await asyncio.sleep(0.01)
        first = list(woken)
        waiters.notify(7)
        await asyncio.gather(*tasks)
        return first + woken[len(first) :]

    order = asyncio.run(scenario())
    assert order[:2] == [0, 1]
    assert sorted(order) == [0, 1, 2, 3]


def test_cancelled_waiters_do_not_absorb_a_wake_up() -> None:
    async def scenario() -> bool:
        waiters = Waiters()
        gone = asyncio.create_task(waiters.wait(1, 5.0))
        live = asyncio.create_task(waiters.wait(1, 5.0))
        await asyncio.sleep(0)
        gone.cancel()
        waiters.notify(1, 1)
        await asyncio.wait_for(live, 1.0)
        return live.done() and not live.cancelled()

    assert asyncio.run(scenario())
