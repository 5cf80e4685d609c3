"""Submitting and reading jobs through the real API, checked against the real queue and stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from spotq.api.client import JobsClient
from spotq.api.settings import ApiSettings
from spotq.errors import ConfigError
from spotq.fleet.embedded import EmbeddedStack
from spotq.jobs import JobMessage
from spotq.queues import make_sqs_client
from spotq.stack import StackConfig
from spotq.storage.base import input_key

from .conftest import Raw


def _runtime(stack: EmbeddedStack) -> Any:
    assert stack.runtime is not None
    return stack.runtime


def _messages(stack: EmbeddedStack, url: str) -> list[JobMessage]:
    sqs = make_sqs_client(stack.stack)  # type: ignore[arg-type]
    reply = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)
    return [JobMessage.decode(m["Body"]) for m in reply.get("Messages", [])]


def test_json_job_is_recorded_and_enqueued(stack: EmbeddedStack, raw: Raw) -> None:
    status, job = raw.post_json("/v1/jobs", {"input": {"text": "hi"}})
    assert status == 201
    assert job["state"] == "queued" and job["attempts"] == 0 and job["app"] == "echo"
    status, again = raw.send("GET", f"/v1/jobs/{job['id']}")
    assert status == 200 and again == job
    [message] = _messages(stack, _runtime(stack).service.queues.normal_url)
    assert message.job_id == job["id"] and message.input == {"text": "hi"}


def test_high_priority_goes_to_the_high_queue(stack: EmbeddedStack, client: JobsClient) -> None:
    job = client.submit({"n": 1}, priority="high")
    queues = _runtime(stack).service.queues
    assert [m.job_id for m in _messages(stack, queues.high_url)] == [job["id"]]
    assert _messages(stack, queues.normal_url) == []


def test_idempotency_key_gives_the_same_job_and_one_message(stack: EmbeddedStack, raw: Raw) -> None:
    first = raw.post_json("/v1/jobs", {"input": {"a": 1}}, **{"Idempotency-Key": "k-1"})
    second = raw.post_json("/v1/jobs", {"input": {"a": 1}}, **{"Idempotency-Key": "k-1"})
    assert (first[0], second[0]) == (201, 200)
    assert first[1]["id"] == second[1]["id"]
    depth = _runtime(stack).service.queues.work_depth()
    assert depth.visible == 1
    assert len(_runtime(stack).service.outbox) == 0


def test_upload_goes_to_the_blob_store(stack: EmbeddedStack, client: JobsClient) -> None:
    job = client.upload("../../etc/passwd", b"RIFF-bytes", {"lang": "en"})
    assert job["filename"] == "../../etc/passwd"  # kept as a label, never used as a path
    rt = _runtime(stack)
    assert rt.service.blobs.get(input_key(job["id"])) == b"RIFF-bytes"
    [message] = _messages(stack, rt.service.queues.normal_url)
    assert message.input_ref == input_key(job["id"]) and message.input == {"lang": "en"}


def test_large_input_is_claim_checked(stack: EmbeddedStack, client: JobsClient) -> None:
    big = {"text": "x" * (200 * 1024)}
    job = client.submit(big)
    rt = _runtime(stack)
    [message] = _messages(stack, rt.service.queues.normal_url)
    assert message.input is None and message.input_ref == input_key(job["id"])
    assert json.loads(rt.service.blobs.get(input_key(job["id"]))) == big


def test_batch_reports_each_item(stack: EmbeddedStack, raw: Raw) -> None:
    items = [
        {"input": {"i": 0}},
        {"input": {"i": 1}, "priority": "urgent"},
        {"input": {"i": 2}, "idempotency_key": "b-2"},
        {"input": {"i": 2}, "idempotency_key": "b-2"},
        {"input": {"i": 3}, "app": "other"},
    ]
    status, reply = raw.post_json("/v1/jobs:batch", {"jobs": items})
    assert status == 200
    statuses = [item["status"] for item in reply["items"]]
    assert statuses == [201, 422, 201, 200, 404]
    assert reply["items"][2]["job"]["id"] == reply["items"][3]["job"]["id"]
    assert "priority" in reply["items"][1]["error"]
    assert _runtime(stack).service.queues.work_depth().visible == 2


def test_list_filters_by_state_and_pages(client: JobsClient) -> None:
    ids = [client.submit({"i": i})["id"] for i in range(5)]
    page = client.jobs(state="queued", limit=2, offset=1)
    assert [j["id"] for j in page["jobs"]] == ids[1:3]
    assert client.jobs(state="succeeded")["jobs"] == []


def test_outbox_reconcile_sends_a_recorded_but_unsent_job(stack: EmbeddedStack) -> None:
    """A crash after the record was written but before the send: the reconciler sends it."""
    rt = _runtime(stack)
    service = rt.service
    from spotq.api.service import Submission

    record, pending = service._prepare(Submission({"late": True}), service.clock.now() - 60)
    service.outbox.add([pending])
    service.jobs.create(record)
    _orphan, orphan_pending = service._prepare(Submission({"never": True}), 0.0)
    service.outbox.add([orphan_pending])  # crashed before its record was written
    assert service.reconcile().sent == 1
    assert len(service.outbox) == 0
    [message] = _messages(stack, service.queues.normal_url)
    assert message.job_id == record.job_id


def test_health_ready_metrics_and_docs(raw: Raw, client: JobsClient) -> None:
    client.submit({"i": 1})
    assert raw.send("GET", "/healthz") == (200, {"status": "ok"})
    assert raw.send("GET", "/readyz") == (200, {"status": "ready"})
    status, text = raw.send("GET", "/metrics")
    assert status == 200
    body = text.decode()
    assert 'spotq_jobs_submitted_total{priority="normal"} 1.0' in body
    assert 'spotq_jobs{state="queued"} 1.0' in body
    assert 'spotq_queue_messages{kind="visible",queue="normal"} 1.0' in body
    assert "spotq_http_request_duration_seconds_bucket" in body
    assert raw.send("GET", "/docs")[0] == 200
    status, spec = raw.send("GET", "/openapi.json")
    assert status == 200 and "/v1/jobs/{job_id}/result" in spec["paths"]


def test_the_gateway_counts_what_it_enqueued(stack: EmbeddedStack, client: JobsClient) -> None:
    # The autoscaler's arrival count: every message the API sent, in single and batch submits,
    # and not a second one for a repeated idempotency key.
    queues = _runtime(stack).service.queues
    assert queues.sent_total == 0
    client.submit_batch([{"input": {"i": i}} for i in range(25)])
    client.submit({"one": 1}, idempotency_key="k")
    client.submit({"one": 1}, idempotency_key="k")
    assert queues.sent_total == 26


def test_a_batch_of_large_inputs_is_enqueued_in_calls_sqs_accepts(
    stack: EmbeddedStack, raw: Raw
) -> None:
    """Ten inputs of 150 KB stay under the claim-check size, so each travels in its message;
    together they exceed SQS's batch payload limit, which refuses the whole SendMessageBatch
    (BatchRequestTooLong). Sent ten to a call they stayed in the outbox, answered 201 and queued,
    and every retry by the reconciler failed the same way: jobs that never ran."""
    items = [{"input": {"i": i, "text": "x" * 150_000}} for i in range(10)]
    status, body = raw.post_json("/v1/jobs:batch", {"jobs": items})
    assert status == 200 and [item["status"] for item in body["items"]] == [201] * 10
    rt = _runtime(stack)
    assert rt.service.queues.work_depth().visible == 10
    assert len(rt.service.outbox) == 0


def test_a_claim_check_size_no_queue_could_carry_is_refused(tmp_path: Path) -> None:
    """Inputs up to claim_check_bytes travel in their message: above SQS's largest message
    (1 MiB) every such send would fail, and the outbox would retry it forever."""
    stack = StackConfig(app="echo", sqs_endpoint_url=None)
    with pytest.raises(ConfigError, match="claim_check_bytes must be at most 1048576"):
        ApiSettings(stack=stack, data_dir=tmp_path, claim_check_bytes=2 * 1024 * 1024)
    ApiSettings(stack=stack, data_dir=tmp_path, claim_check_bytes=1024 * 1024)
