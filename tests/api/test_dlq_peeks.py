"""Peeking at the dead-letter queue holds its messages invisible for a moment. The fleet's
reconcile pass and the API's list and redrive share one DeadLetters in one process; they take
turns, so none of them finds the DLQ empty because another was looking (a redrive of 0 jobs)."""

from __future__ import annotations

import threading

from spotq.fleet.embedded import EmbeddedStack


def test_concurrent_peeks_always_see_the_dead_letter(stack: EmbeddedStack) -> None:
    runtime = stack.runtime
    assert runtime is not None
    letters = runtime.dead_letters
    queues = letters.queues
    queues._client.send_message(QueueUrl=queues.dlq_url, MessageBody='{"job_id": "j1"}')
    stop = threading.Event()

    def other_peeker() -> None:  # what the fleet's reconcile pass does every few ticks
        while not stop.is_set():
            letters.peek()

    thread = threading.Thread(target=other_peeker, daemon=True)
    thread.start()
    try:
        seen = [len(letters.peek()) for _ in range(40)]
    finally:
        stop.set()
        thread.join(10)
    assert seen == [1] * 40
    handle, _ = letters.redrive()
    assert handle is not None  # it found the message to move
