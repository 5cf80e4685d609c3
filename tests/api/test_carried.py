"""Inputs the queue cannot carry as they are (SQS refuses U+FFFE, U+FFFF and lone surrogates) are
carried escaped or refused at submit, never accepted and stranded; and the reconciler's log says
what it really sent and why it could not send the rest."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from spotq.api.client import encode_multipart
from spotq.api.outbox import Outbox
from spotq.api.reconciler import ReconcileLog
from spotq.api.service import JobService, Reconciled, Submission
from spotq.clock import SystemClock
from spotq.fleet.embedded import EmbeddedStack
from spotq.jobs import JobMessage
from spotq.queues import make_sqs_client
from spotq.sqs.process import SqsServerProcess
from spotq.sqs.server import SqsServerConfig

from .conftest import Raw, running_worker, wait_final

# Each of these is refused by SQS when sent raw (or, for the allowed ones, a boundary of it).
ODD_TEXT = {
    "ffff": "\uffff",
    "fffe": "a\ufffeb",
    "nonchar": "\ufdd0",
    "del_and_c1": "\x7f\x85\x9f",
    "controls": "\x00\x01\x08\x0b\x1f",
    "astral": "\U0001f600\U0010ffff",
    "\uffff key": 1,
}


def _runtime(stack: EmbeddedStack) -> Any:
    assert stack.runtime is not None
    return stack.runtime


def _queued_messages(stack: EmbeddedStack) -> list[JobMessage]:
    rt = _runtime(stack)
    sqs = make_sqs_client(rt.settings.stack)
    out = []
    for url in (rt.service.queues.normal_url, rt.service.queues.high_url):
        while batch := sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", []):
            out.extend(JobMessage.decode(m["Body"]) for m in batch)
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
                ],
            )
    return out


def test_characters_sqs_refuses_are_carried_and_decode_back(stack: EmbeddedStack, raw: Raw) -> None:
    status, job = raw.post_json("/v1/jobs", {"input": ODD_TEXT}, **{"Idempotency-Key": "\u00ff"})
    assert status == 201 and job["state"] == "queued", job
    status, batch = raw.post_json(
        "/v1/jobs:batch", {"jobs": [{"input": ODD_TEXT, "priority": "high"}]}
    )
    assert status == 200 and batch["items"][0]["status"] == 201
    form, content_type = encode_multipart({"input": json.dumps(ODD_TEXT)}, "a\uffff.wav", b"x")
    status, upload = raw.send("POST", "/v1/jobs", form, {"Content-Type": content_type})
    assert status == 201, upload
    assert len(_runtime(stack).service.outbox) == 0  # all three were really sent
    messages = {m.job_id: m for m in _queued_messages(stack)}
    assert messages[job["id"]].input == ODD_TEXT
    assert messages[batch["items"][0]["job"]["id"]].input == ODD_TEXT
    assert messages[upload["id"]].input == ODD_TEXT
    assert messages[upload["id"]].filename == "a\uffff.wav"


def test_a_worker_runs_them_to_success_with_the_input_intact(
    stack: EmbeddedStack, raw: Raw
) -> None:
    ids = [raw.post_json("/v1/jobs", {"input": ODD_TEXT})[1]["id"] for _ in range(3)]
    with running_worker(stack):
        final = wait_final(raw, ids)
    for job_id in ids:
        assert final[job_id]["state"] == "succeeded", final[job_id]
        status, result = raw.send("GET", f"/v1/jobs/{job_id}/result")
        assert status == 200 and result == ODD_TEXT


def test_a_message_the_queue_refuses_fails_its_job_at_once(stack: EmbeddedStack, raw: Raw) -> None:
    rt = _runtime(stack)
    sqs = make_sqs_client(rt.settings.stack)
    sqs.set_queue_attributes(
        QueueUrl=rt.service.queues.normal_url, Attributes={"MaximumMessageSize": "1024"}
    )
    status, job = raw.post_json("/v1/jobs", {"input": {"text": "x" * 2000}})
    assert status == 201
    assert job["state"] == "failed" and "refused" in job["last_error"], job
    assert len(rt.service.outbox) == 0  # not left for the reconciler to resend every 2 s
    status, again = raw.send("GET", f"/v1/jobs/{job['id']}")
    assert again["state"] == "failed"


def test_the_reconciler_counts_what_it_sent(stack: EmbeddedStack, tmp_path: Path) -> None:
    rt = _runtime(stack)
    # A service of its own (own outbox, entries due at once) on the stack's stores and queues,
    # so that the API's background reconciler does not send these entries first.
    service = JobService(
        app=rt.service.app,
        jobs=rt.service.jobs,
        blobs=rt.service.blobs,
        queues=rt.service.queues,
        outbox=Outbox(tmp_path / "outbox.db"),
        clock=SystemClock(),
        claim_check_bytes=rt.settings.claim_check_bytes,
        reconcile_after_s=0.0,
    )
    assert isinstance(stack._sqs, SqsServerProcess)
    port = urlsplit(stack._sqs.endpoint_url).port
    assert port is not None
    stack._sqs.stop()
    ids = [service.submit(Submission({"n": n}))[0].job_id for n in range(3)]
    outcome = service.reconcile()
    assert (outcome.sent, outcome.waiting, outcome.refused) == (0, 3, 0)
    assert outcome.reasons and "connect" in outcome.reasons[0].lower()
    config = SqsServerConfig(host="127.0.0.1", port=port, data_dir=stack.data_dir)
    stack._sqs = SqsServerProcess(config, stack.data_dir).start()  # the queue comes back
    outcome = service.reconcile()
    assert (outcome.sent, outcome.waiting) == (3, 0)
    assert sorted(m.job_id for m in _queued_messages(stack)) == sorted(ids)
    assert service.reconcile() == Reconciled()  # nothing left: a quiet pass


def test_the_reconciler_log_says_why_once(caplog: pytest.LogCaptureFixture) -> None:
    report = ReconcileLog()
    down = Reconciled(waiting=3, reasons=("EndpointConnectionError: cannot connect",))
    with caplog.at_level(logging.INFO, logger="spotq.api"):
        for _ in range(10):  # 20 s of a queue server that is down
            report.passed(down)
            report.passed(Reconciled())  # entries not yet due: nothing tried
            report.passed(down)
        report.passed(Reconciled(sent=3))
        report.failed(OSError("disk I/O error"))
        report.failed(OSError("disk I/O error"))
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "reconciler could not enqueue 3 jobs (retrying every pass): "
        "EndpointConnectionError: cannot connect",
        "reconciler enqueued 3 jobs left by failed enqueues",
        "outbox reconcile failed (retrying every pass): OSError: disk I/O error",
    ]
