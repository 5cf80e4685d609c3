"""Long polling: a waiting receive is woken by a send, not by a sleep loop."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from conftest import make_sqs_client
from spotq.sqs.server import RunningSqsServer


def test_waiting_receive_returns_soon_after_a_send(
    sqs_server: RunningSqsServer, sqs_client: Any
) -> None:
    url = sqs_client.create_queue(QueueName="lp")["QueueUrl"]
    sender = make_sqs_client(sqs_server.endpoint_url)
    timer = threading.Timer(0.5, lambda: sender.send_message(QueueUrl=url, MessageBody="wake"))
    started = time.monotonic()
    timer.start()
    got = sqs_client.receive_message(QueueUrl=url, WaitTimeSeconds=20)
    elapsed = time.monotonic() - started
    timer.join()
    assert got["Messages"][0]["Body"] == "wake"
    assert elapsed < 10  # far below the 20 s wait: the send woke it


def test_queue_wait_attribute_applies_and_empty_wait_times_out(sqs_client: Any) -> None:
    url = sqs_client.create_queue(
        QueueName="lp-attr", Attributes={"ReceiveMessageWaitTimeSeconds": "1"}
    )["QueueUrl"]
    started = time.monotonic()
    assert "Messages" not in sqs_client.receive_message(QueueUrl=url)
    assert time.monotonic() - started >= 0.9
    started = time.monotonic()
    assert "Messages" not in sqs_client.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    assert time.monotonic() - started < 0.9


def test_several_waiters_are_all_served(sqs_server: RunningSqsServer, sqs_client: Any) -> None:
    url = sqs_client.create_queue(QueueName="lp-many")["QueueUrl"]

    def wait_one(_: int) -> str:
        client = make_sqs_client(sqs_server.endpoint_url)
        reply = client.receive_message(QueueUrl=url, WaitTimeSeconds=15)
        return str(reply["Messages"][0]["Body"])

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(wait_one, i) for i in range(4)]
        time.sleep(0.5)
        for i in range(4):
            sqs_client.send_message(QueueUrl=url, MessageBody=f"m{i}")
        bodies = sorted(f.result(timeout=14) for f in futures)
    assert bodies == ["m0", "m1", "m2", "m3"]


def test_a_waiter_sees_a_delayed_message_when_its_delay_ends(sqs_client: Any) -> None:
    url = sqs_client.create_queue(QueueName="lp-delay")["QueueUrl"]
    sqs_client.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=1)
    started = time.monotonic()
    got = sqs_client.receive_message(QueueUrl=url, WaitTimeSeconds=10)
    assert got["Messages"][0]["Body"] == "soon"
    assert time.monotonic() - started < 5


def test_visibility_reset_wakes_a_waiter(sqs_server: RunningSqsServer, sqs_client: Any) -> None:
    url = sqs_client.create_queue(QueueName="lp-reset")["QueueUrl"]
    sqs_client.send_message(QueueUrl=url, MessageBody="retry me")
    held = sqs_client.receive_message(QueueUrl=url, VisibilityTimeout=600)["Messages"][0]
    other = make_sqs_client(sqs_server.endpoint_url)

    def release() -> None:
        other.change_message_visibility(
            QueueUrl=url, ReceiptHandle=held["ReceiptHandle"], VisibilityTimeout=0
        )

    timer = threading.Timer(0.5, release)
    started = time.monotonic()
    timer.start()
    got = sqs_client.receive_message(QueueUrl=url, WaitTimeSeconds=20)
    timer.join()
    assert got["Messages"][0]["Body"] == "retry me"
    assert time.monotonic() - started < 10
