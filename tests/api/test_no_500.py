"""Inputs that used to crash the job API with a plain-text 500: each now gets the documented body
{"error", "detail"} and a 4xx, or is accepted and truthfully recorded."""

from __future__ import annotations

import errno
import json
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from spotq.api.client import encode_multipart
from spotq.api.settings import ApiSettings
from spotq.errors import ConfigError
from spotq.fleet.embedded import EmbeddedStack
from spotq.stack import StackConfig
from spotq.storage.errors import storage_error

from .conftest import Raw, start_stack

JSON = {"Content-Type": "application/json"}


def _error(reply: tuple[int, Any], status: int, error: str) -> str:
    code, body = reply
    assert code == status, reply
    assert isinstance(body, dict) and set(body) == {"error", "detail"}, body
    assert body["error"] == error, body
    return str(body["detail"])


def _job_count(raw: Raw) -> int:
    status, listing = raw.send("GET", "/v1/jobs?limit=1000")
    assert status == 200, listing
    return len(listing["jobs"])


def test_a_lone_surrogate_anywhere_in_a_submission_is_422(raw: Raw) -> None:
    # json.dumps writes "\ud800" as an ASCII escape: the bytes sent are valid UTF-8 JSON text.
    for body in (
        {"input": {"x": "\ud800"}},
        {"input": {"\udfff": 1}},
        {"input": {"a": ["\udc00"]}},
    ):
        detail = _error(raw.post_json("/v1/jobs", body), 422, "InvalidInput")
        assert "surrogate" in detail
    form, content_type = encode_multipart({"input": '{"x": "\\ud800"}'}, "a.wav", b"x")
    reply = raw.send("POST", "/v1/jobs", form, {"Content-Type": content_type})
    assert "surrogate" in _error(reply, 422, "InvalidInput")
    # Quoted back to the client without breaking the JSON reply.
    assert "\\ud800" in _error(raw.post_json("/v1/jobs", {"app": "\ud800"}), 404, "UnknownApp")
    batch = [{"input": {"x": "\ud800"}}, {"input": {}}, {"input": {}, "idempotency_key": "\ud800"}]
    status, reply = raw.post_json("/v1/jobs:batch", {"jobs": batch})
    assert status == 200 and [i["status"] for i in reply["items"]] == [422, 201, 422]
    assert _job_count(raw) == 1


def test_deep_nesting_is_422_never_a_recursion_error(raw: Raw) -> None:
    for depth in (900, 990, 2_000, 100_000):
        body = b'{"input": {"a": ' + b"[" * depth + b"]" * depth + b"}}"
        assert "nested" in _error(raw.send("POST", "/v1/jobs", body, JSON), 422, "InvalidInput")
        body = b'{"jobs": [{"input": {"a": ' + b"[" * depth + b"]" * depth + b"}}]}"
        status, reply = raw.send("POST", "/v1/jobs:batch", body, JSON)
        if status == 200:  # parsed: that item alone is refused
            assert [item["status"] for item in reply["items"]] == [422], reply
        else:  # too deep to parse at all
            assert "nested" in _error((status, reply), 422, "InvalidInput")
    nested: dict[str, Any] = {}
    for _ in range(100):  # the input object itself is level 1: 101 levels in all
        nested = {"a": nested}
    detail = _error(raw.post_json("/v1/jobs", {"input": nested}), 422, "InvalidInput")
    assert "100 levels" in detail
    status, reply = raw.post_json("/v1/jobs:batch", {"jobs": [{"input": nested}, {"input": {}}]})
    assert status == 200 and [i["status"] for i in reply["items"]] == [422, 201]
    assert raw.post_json("/v1/jobs", {"input": nested["a"]})[0] == 201  # exactly 100 levels


def test_huge_paging_numbers_are_422(raw: Raw) -> None:
    huge = "1" + "0" * 29
    for query in (f"offset={huge}", f"limit={huge}", "offset=-1", f"offset={2**63}"):
        detail = _error(raw.send("GET", f"/v1/jobs?{query}"), 422, "InvalidInput")
        assert query.split("=")[0] in detail
    status, listing = raw.send("GET", f"/v1/jobs?offset={2**63 - 1}")
    assert status == 200 and listing["jobs"] == []


def _fill(db: Any) -> None:
    """Let an SQLite connection's database grow no further: SQLite's own 'database or disk is
    full' (SQLITE_FULL), as a full disk gives it, on the next write that needs a page."""
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    db.execute(f"PRAGMA max_page_count = {pages}")


def _free(db: Any) -> None:
    db.execute("PRAGMA max_page_count = 1073741823")


def _runtime(stack: EmbeddedStack) -> Any:
    assert stack.runtime is not None
    return stack.runtime


def test_a_full_outbox_is_507_and_nothing_is_recorded(stack: EmbeddedStack, raw: Raw) -> None:
    outbox_db = _runtime(stack).service.outbox._db
    _fill(outbox_db)
    big = {"input": {"text": "x" * 100_000}}  # needs new pages in the outbox
    detail = _error(raw.post_json("/v1/jobs", big), 507, "StorageFull")
    assert "not recorded" in detail and "full" in detail
    reply = raw.post_json("/v1/jobs:batch", {"jobs": [big, big]})
    assert "none of the 2 jobs was recorded" in _error(reply, 507, "StorageFull")
    assert _job_count(raw) == 0
    _free(outbox_db)  # space comes back: the same API records again, no restart
    assert raw.post_json("/v1/jobs", big)[0] == 201
    assert raw.post_json("/v1/jobs:batch", {"jobs": [big, big]})[0] == 200
    assert _job_count(raw) == 3


def test_a_full_job_store_never_answers_for_a_job_it_did_not_record(
    stack: EmbeddedStack, raw: Raw
) -> None:
    jobs_db = _runtime(stack).service.jobs._db
    _fill(jobs_db)
    reply = raw.post_json("/v1/jobs:batch", {"jobs": [{"input": {"n": n}} for n in range(300)]})
    assert "none of the 300 jobs was recorded" in _error(reply, 507, "StorageFull")
    assert _job_count(raw) == 0
    created = 0
    for n in range(300):  # single submits fill the last free space, then fail
        status, body = raw.post_json("/v1/jobs", {"input": {"n": n}}, **{"Idempotency-Key": str(n)})
        if status == 507:
            assert "not recorded" in _error((status, body), 507, "StorageFull")
            break
        assert status == 201, body
        created += 1
    else:
        pytest.fail("the job store never filled up")
    assert _job_count(raw) == created  # every 201 is a job; the 507 is not
    assert len(_runtime(stack).service.outbox) == 0  # the failed one left nothing to send
    _free(jobs_db)
    assert raw.post_json("/v1/jobs", {"input": {}}, **{"Idempotency-Key": str(created)})[0] == 201
    assert _job_count(raw) == created + 1


def _raw_request(url: str, head: bytes) -> bytes:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_non_ascii_bearer_token_is_401(tmp_path: Path) -> None:
    stack = start_stack(tmp_path, api_key="s3cret")
    try:
        for token in (
            "\u00fc".encode(),
            "\u00fc".encode("latin-1"),
            b"s3cret\xff",
            b"\xe2\x82\xac",
        ):
            head = b"GET /v1/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            reply = _raw_request(
                stack.api_url, head + b"Authorization: Bearer " + token + b"\r\n\r\n"
            )
            status_line, _, rest = reply.partition(b"\r\n")
            assert b" 401 " in status_line, reply
            body = json.loads(rest.split(b"\r\n\r\n", 1)[1])
            assert body["error"] == "Unauthorized"
        assert (
            Raw(stack.api_url).send("GET", "/v1/jobs", headers={"Authorization": "Bearer s3cret"})[
                0
            ]
            == 200
        )
    finally:
        stack.stop()


def test_an_api_key_that_is_not_printable_ascii_is_refused_at_start(tmp_path: Path) -> None:
    stack = StackConfig(app="echo", sqs_endpoint_url=None)
    for key in ("cl\u00e9", "two words", "tab\there", "\u20ac"):
        with pytest.raises(ConfigError, match="printable ASCII"):
            ApiSettings(stack=stack, data_dir=tmp_path, api_key=key)
    ApiSettings(stack=stack, data_dir=tmp_path, api_key="A-z_0.9~!")


def test_with_the_queue_down_dlq_is_503_and_metrics_still_answer(
    stack: EmbeddedStack, raw: Raw
) -> None:
    assert raw.post_json("/v1/jobs", {"input": {}})[0] == 201
    up = raw.send("GET", "/metrics")[1].decode()
    assert 'spotq_up{dependency="queue"} 1.0' in up
    assert 'spotq_queue_messages{kind="visible",queue="normal"} 1.0' in up
    assert stack._sqs is not None
    stack._sqs.stop()
    detail = _error(raw.send("GET", "/v1/dlq"), 503, "NotReady")
    assert "queue" in detail
    _error(raw.send("POST", "/v1/dlq:redrive"), 503, "NotReady")
    _error(raw.send("GET", "/readyz"), 503, "NotReady")
    status, text = raw.send("GET", "/metrics")
    assert status == 200
    metrics = text.decode()
    assert 'spotq_up{dependency="queue"} 0.0' in metrics
    assert 'spotq_up{dependency="job_store"} 1.0' in metrics
    assert 'spotq_jobs{state="queued"} 1.0' in metrics
    assert "spotq_queue_messages" not in metrics
    # Submitting still records the job (201); the reconciler sends it when the queue is back.
    status, job = raw.post_json("/v1/jobs", {"input": {}})
    assert status == 201 and job["state"] == "queued"
    assert _job_count(raw) == 2


class FullDisk:
    """A blob store on a disk with no space left: every write fails as the OS reports it."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def put(self, key: str, data: bytes) -> None:
        raise storage_error(f"cannot write blob {key!r}", OSError(errno.ENOSPC, "No space left"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_full_blob_disk_is_507_and_nothing_is_recorded(stack: EmbeddedStack, raw: Raw) -> None:
    service = _runtime(stack).service
    real, service.blobs = service.blobs, FullDisk(service.blobs)
    form, content_type = encode_multipart({}, "a.wav", b"RIFF")
    reply = raw.send("POST", "/v1/jobs", form, {"Content-Type": content_type})
    assert "not recorded" in _error(reply, 507, "StorageFull")
    claim_checked = {"input": {"text": "x" * 300_000}}  # over claim_check_bytes: goes to a blob
    assert "not recorded" in _error(raw.post_json("/v1/jobs", claim_checked), 507, "StorageFull")
    assert _job_count(raw) == 0
    service.blobs = real
    assert raw.post_json("/v1/jobs", claim_checked)[0] == 201


class BrokenStore:
    """A job store with a bug in it: every read raises something spotq does not expect."""

    def __getattr__(self, name: str) -> Any:
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("a bug")

        return broken


def test_a_bug_is_a_500_in_the_documented_body(stack: EmbeddedStack, raw: Raw) -> None:
    service = _runtime(stack).service
    real, service.jobs = service.jobs, BrokenStore()
    try:
        detail = _error(raw.send("GET", "/v1/jobs/abc"), 500, "InternalError")
        assert "RuntimeError" in detail and "a bug" not in detail  # no internals leak out
    finally:
        service.jobs = real
    assert raw.send("GET", "/v1/jobs/abc")[0] == 404
