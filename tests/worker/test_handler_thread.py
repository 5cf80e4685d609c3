"""The handler thread's call flag (spotq.worker.handler_thread.Done): unset until the call ends,
then set for every later wait; a wait with a timeout returns False while the call runs."""

from __future__ import annotations

import threading

from spotq.worker.handler_thread import Done, HandlerThread


def test_done_is_waited_on_with_a_timeout_and_stays_set() -> None:
    done = Done()
    assert not done.is_set()
    assert done.wait(0.01) is False
    setter = threading.Timer(0.05, done.set)  # set from another thread, as the handler does
    setter.start()
    assert done.wait(5.0) is True
    assert done.is_set() and done.wait(0) and done.wait()  # and for every later wait
    setter.join()


def test_a_call_is_done_with_its_value_or_its_error() -> None:
    thread = HandlerThread()
    gate = threading.Event()
    slow = thread.submit(lambda: [gate.wait(5.0)])
    failing = thread.submit(lambda: [1 // 0])
    assert slow.done.wait(0.05) is False  # still running
    gate.set()
    assert slow.done.wait(5.0) and slow.value == [True] and slow.error is None
    assert failing.done.wait(5.0) and isinstance(failing.error, ZeroDivisionError)
