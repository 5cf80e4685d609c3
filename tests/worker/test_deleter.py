"""The background deleter (spotq.worker.deleter) against the real SQS server: every message
handed over is deleted by the time `close` returns, its heartbeat ends only after the delete was
sent, and a failed delete is reported, not lost silently or fatal to the thread."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

import spotq.worker.deleter as deleter_module
from spotq.worker.deleter import BackgroundDeleter
from spotq.worker.delivery import Delivery, receive
from spotq.worker.heartbeat import Heartbeat

from .conftest import WorkerEnv, app_named


def _received(env: WorkerEnv, n: int) -> list[Delivery]:
    app = app_named("echo")
    for i in range(n):
        env.send(app, f"job-{i}", {})
    url = env.queues(app).normal
    got: list[Delivery] = []
    while len(got) < n:
        got += receive(env.sqs(app), url, 10, 1, time.time)
    return got


def test_everything_handed_over_is_deleted_by_close(env: WorkerEnv) -> None:
    app = app_named("echo")
    deliveries = _received(env, 25)
    sqs = env.sqs(app)
    heartbeat = Heartbeat(sqs, 30)
    heartbeat.add(deliveries)
    errors: list[str] = []
    deleter = BackgroundDeleter(sqs, heartbeat, on_errors=errors.extend)
    for start in range(0, 25, 7):  # batches that are not multiples of SQS's 10
        deleter.submit(deliveries[start : start + 7])
    deleter.submit([])
    deleter.close()
    assert errors == []
    assert env.depth(app) == (0, 0)
    assert heartbeat.held == 0  # dropped once their deletes were sent
    heartbeat.close()


def test_a_failed_delete_is_reported_and_the_rest_still_go(env: WorkerEnv) -> None:
    app = app_named("echo")
    good = _received(env, 3)
    bad = replace(good[0], receipt_handle="not-a-receipt-handle", message_id="bad")
    sqs = env.sqs(app)
    heartbeat = Heartbeat(sqs, 30)
    errors: list[str] = []
    deleter = BackgroundDeleter(sqs, heartbeat, on_errors=errors.extend)
    deleter.submit([bad])
    deleter.submit(good)
    deleter.close()
    assert len(errors) == 1 and "ReceiptHandle" in errors[0], errors
    assert env.depth(app) == (0, 0)
    heartbeat.close()


def test_settle_waits_until_the_queue_and_the_heartbeat_agree(env: WorkerEnv) -> None:
    """After `settle`, every message handed over is out of both the queue's in-flight count
    and the heartbeat's (fair share subtracts one from the other)."""
    app = app_named("echo")
    deliveries = _received(env, 23)
    sqs = env.sqs(app)
    heartbeat = Heartbeat(sqs, 30)
    heartbeat.add(deliveries)
    deleter = BackgroundDeleter(sqs, heartbeat, on_errors=lambda errors: None)
    assert deleter.settle(0.0)  # nothing handed over: settled at once
    for start in range(0, 23, 5):
        deleter.submit(deliveries[start : start + 5])
    assert deleter.settle(30.0)
    assert heartbeat.held == 0
    assert env.depth(app) == (0, 0)
    deleter.close()
    heartbeat.close()


class _CountingSqs:
    """The real client, with its DeleteMessageBatch calls counted."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs
        self.delete_calls = 0

    def delete_message_batch(self, **kwargs: Any) -> Any:
        self.delete_calls += 1
        return self._sqs.delete_message_batch(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)


def test_deletes_handed_over_one_at_a_time_share_a_call(env: WorkerEnv) -> None:
    """A worker taking jobs as they trickle in hands over one delete per job; those that come
    within the linger go in one DeleteMessageBatch call instead of one call each."""
    app = app_named("echo")
    deliveries = _received(env, 6)
    sqs = _CountingSqs(env.sqs(app))
    heartbeat = Heartbeat(sqs, 30)
    deleter = BackgroundDeleter(sqs, heartbeat, on_errors=lambda errors: None)
    for delivery in deliveries:  # well within LINGER_S of each other
        deleter.submit([delivery])
    assert deleter.settle(30.0)
    assert sqs.delete_calls <= 2, sqs.delete_calls  # 6 calls without the linger
    assert env.depth(app) == (0, 0)
    deleter.close()
    heartbeat.close()


def test_a_lone_delete_goes_after_the_linger_without_waiting_for_company(env: WorkerEnv) -> None:
    app = app_named("echo")
    [delivery] = _received(env, 1)
    sqs = env.sqs(app)
    heartbeat = Heartbeat(sqs, 30)
    deleter = BackgroundDeleter(sqs, heartbeat, on_errors=lambda errors: None)
    deleter.submit([delivery])
    assert deleter.settle(5.0)  # sent by itself once LINGER_S (0.05 s) is over, not at close
    assert env.depth(app) == (0, 0)
    deleter.close()
    heartbeat.close()


def test_once_hurried_deletes_go_at_once(env: WorkerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """A draining worker's last deletes do not wait for company: the fleet stops its workers
    as soon as the queues hold nothing, so a lingering delete would hold the stop up."""
    monkeypatch.setattr(deleter_module, "LINGER_S", 5.0)
    app = app_named("echo")
    first, second = _received(env, 2)
    sqs = env.sqs(app)
    heartbeat = Heartbeat(sqs, 30)
    deleter = BackgroundDeleter(sqs, heartbeat, on_errors=lambda errors: None)
    deleter.submit([first])
    assert not deleter.settle(0.5)  # lingering for company
    deleter.hurry()
    assert deleter.settle(3.0)  # sent without waiting out the 5 s
    deleter.submit([second])
    assert deleter.settle(3.0)  # and from then on, every delete goes at once
    assert env.depth(app) == (0, 0)
    deleter.close()
    heartbeat.close()
