"""A worker consuming a queue that existed before spotq (the app's `queue` option) whose producer
writes its own format: the app's decoder turns those bodies into jobs, spotq's own messages on the
same queue still work, and a body the decoder refuses is logged and ends in the queue's
dead-letter queue without stopping the worker. Real embedded SQS server, real `spotq worker`."""

from __future__ import annotations

import json
import subprocess
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from spotq.app import App
from spotq.jobs import JobMessage, JobState, MessageFormatError
from spotq.queues import make_sqs_client, redrive_warning
from spotq.worker.delivery import Delivery
from spotq.worker.foreign import decode_delivery, foreign_job_id

from .conftest import SPOTQ, WorkerEnv

APP_SOURCE = textwrap.dedent(
    """
    import spotq

    app = spotq.App("orders", batch_size=2, max_receives=2, retry_backoff_s=0)


    @app.decoder
    def decode(body):
        # The producer's own format: "ORDER-ID|TEXT"; anything else is refused.
        order_id, sep, text = body.partition("|")
        if not sep:
            raise ValueError(f"not an order line: {body[:20]!r}")
        return {"order_id": int(order_id), "text": text}


    @app.handler
    def handle(model, jobs):
        return [{"order_id": j.input.get("order_id"), "upper": j.input["text"].upper()}
                for j in jobs]
    """
)


def _existing_queue(env: WorkerEnv, app: App, *, redrive: bool = True) -> tuple[str, str]:
    """The producer's queue and its DLQ, created before spotq was ever run (not spotq names)."""
    sqs = env.sqs(app)
    dlq = sqs.create_queue(QueueName="shop-orders-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    attributes = {"VisibilityTimeout": "30"}
    if redrive:
        policy = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": app.options.max_receives}
        attributes["RedrivePolicy"] = json.dumps(policy)
    url = sqs.create_queue(QueueName="shop-orders", Attributes=attributes)["QueueUrl"]
    return url, dlq


def test_worker_consumes_foreign_messages_through_the_decoder(
    env: WorkerEnv, tmp_path: Path
) -> None:
    app_file = tmp_path / "orders_app.py"
    app_file.write_text(APP_SOURCE)
    app = App("orders", max_receives=2)
    url, dlq = _existing_queue(env, app)
    sqs = env.sqs(app)
    sent = {
        sqs.send_message(QueueUrl=url, MessageBody=f"{n}|order {n}")["MessageId"]: n
        for n in range(4)
    }
    garbage = sqs.send_message(QueueUrl=url, MessageBody="this is not an order")["MessageId"]
    spotq_job = JobMessage(job_id="native-1", app="orders", input={"text": "native"})
    sqs.send_message(QueueUrl=url, MessageBody=spotq_job.encode())

    stack = replace(env.stack(app), work_queue=url)
    log = tmp_path / "worker.log"

    with log.open("wb") as err:
        proc = subprocess.run(
            [SPOTQ, "worker", str(app_file), "--stack-config", stack.to_json(),
             "--max-idle-s", "3", "--poll-wait-s", "1"],
            stdout=subprocess.DEVNULL, stderr=err, timeout=120,
        )  # fmt: skip
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert proc.returncode == 0, log.read_text()[-2000:]
    for message_id, n in sent.items():
        assert env.result(foreign_job_id(message_id)) == {"order_id": n, "upper": f"ORDER {n}"}
        record = env.jobs.get(foreign_job_id(message_id))
        assert record is not None and record.state is JobState.SUCCEEDED
    assert env.result("native-1") == {"order_id": None, "upper": "NATIVE"}
    refused = [e for e in events if e["event"] == "bad_message"]
    assert refused and all(e["message_id"] == garbage for e in refused)
    assert "decoder refused it: ValueError: not an order line" in refused[0]["error"]
    # The queue's redrive policy took the refused message to its DLQ; the work queue is empty.
    deadline = time.monotonic() + 30
    moved: list[str] = []
    while not moved and time.monotonic() < deadline:
        reply = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1)
        moved = [m["Body"] for m in reply.get("Messages", [])]
    assert moved == ["this is not an order"]
    depth = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert depth["ApproximateNumberOfMessages"] == "0"
    assert depth["ApproximateNumberOfMessagesNotVisible"] == "0"
    # spotq made no queue under its own name for the normal queue: it consumed the existing one.
    names = [u.rsplit("/", 1)[-1] for u in sqs.list_queues().get("QueueUrls", [])]
    assert "spotq-orders" not in names and "spotq-orders-high" in names


def test_a_queue_without_redrive_is_reported(env: WorkerEnv) -> None:
    app = App("orders", max_receives=2)
    url, _ = _existing_queue(env, app, redrive=False)
    warning = redrive_warning(make_sqs_client(env.stack(app)), url, 2)
    assert warning is not None and "no redrive policy" in warning
    with_redrive = App("orders", max_receives=3)
    env.sqs(app).set_queue_attributes(
        QueueUrl=url,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn":
            "arn:aws:sqs:us-east-1:000000000000:shop-orders-dlq", "maxReceiveCount": 2})},
    )  # fmt: skip
    mismatch = redrive_warning(env.sqs(app), url, with_redrive.options.max_receives)
    assert mismatch is not None and "max_receives is 3" in mismatch


def _delivery(body: str) -> Delivery:
    return Delivery("q", "m-1", "r", body, 1, 1000.0, 1001.0)


def test_decoder_results_are_checked() -> None:
    app = App("orders")
    with pytest.raises(MessageFormatError):  # no decoder: a foreign body is a bad message
        decode_delivery(app, _delivery("7|x"))
    app.decoder(lambda body: [body])  # type: ignore[arg-type,return-value]
    with pytest.raises(MessageFormatError, match="expected a dict"):
        decode_delivery(app, _delivery("7|x"))
    app.decoder(lambda body: {"when": object()})
    with pytest.raises(MessageFormatError, match="non-JSON"):
        decode_delivery(app, _delivery("7|x"))
    app.decoder(lambda body: {"body": body})
    message = decode_delivery(app, _delivery("7|x"))
    assert (message.job_id, message.app, message.input) == ("sqs-m-1", "orders", {"body": "7|x"})
    assert message.submitted_at_s == 1000.0
    native = JobMessage(job_id="j", app="orders", input={"a": 1}).encode()
    assert decode_delivery(app, _delivery(native)).job_id == "j"  # spotq's own format wins
