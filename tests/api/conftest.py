"""A real embedded stack (SQS server, stores, uvicorn) per test and no workers: jobs stay queued."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from spotq.api.client import JobsClient
from spotq.app import App
from spotq.fleet.embedded import EmbeddedStack, StackOptions
from spotq.jobs import TERMINAL_STATES
from spotq.queues import make_sqs_client
from spotq.storage.factory import open_blob_store, open_job_store
from spotq.worker.runtime import Worker, WorkerConfig

UPLOAD_LIMIT_BYTES = 64 * 1024


@dataclass
class Raw:
    """Send exactly the bytes and headers a test wants, and read status + JSON back."""

    base_url: str

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        chunked: bool = False,
    ) -> tuple[int, Any]:
        parts = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            if chunked:
                conn.request(method, path, body=iter([body or b""]), headers=headers or {},
                             encode_chunked=True)  # fmt: skip
            else:
                conn.request(method, path, body=body, headers=headers or {})
            reply = conn.getresponse()
            data = reply.read()
        finally:
            conn.close()
        try:
            return reply.status, json.loads(data)
        except ValueError:
            return reply.status, data

    def post_json(self, path: str, value: Any, **headers: str) -> tuple[int, Any]:
        body = json.dumps(value).encode()
        return self.send("POST", path, body, {"Content-Type": "application/json", **headers})


def echo_app() -> App:
    return App("echo", handler=lambda model, jobs: [j.input for j in jobs])


def start_stack(tmp_path: Path, api_key: str | None = None) -> EmbeddedStack:
    app = echo_app()
    options = StackOptions(
        data_dir=tmp_path / "stack", api_key=api_key, max_upload_bytes=UPLOAD_LIMIT_BYTES
    )
    return EmbeddedStack(app, options).start()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[EmbeddedStack]:
    running = start_stack(tmp_path)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def raw(stack: EmbeddedStack) -> Raw:
    return Raw(stack.api_url)


@pytest.fixture
def client(stack: EmbeddedStack) -> Iterator[JobsClient]:
    c = JobsClient(stack.api_url)
    yield c
    c.close()


@contextlib.contextmanager
def running_worker(stack: EmbeddedStack) -> Iterator[Worker]:
    """A real worker (in a thread) on the stack's queues and stores, drained on exit."""
    assert stack.stack is not None
    config = stack.stack
    worker = Worker(
        stack.app,
        config,
        sqs=make_sqs_client(config),
        blobs=open_blob_store(config.blob_url),
        jobs=open_job_store(config.jobs_url),
        config=WorkerConfig(grace_s=5, poll_wait_s=1),
    )
    thread = threading.Thread(target=worker.run, name="test-worker", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.request_drain("test over")
        thread.join(30)


def wait_final(raw: Raw, job_ids: Iterable[str], timeout_s: float = 60.0) -> dict[str, Any]:
    """Each job as the API shows it once it is in a final state (fails the test on timeout)."""
    final: dict[str, Any] = {}
    waiting = set(job_ids)
    deadline = time.monotonic() + timeout_s
    while waiting and time.monotonic() < deadline:
        for job_id in sorted(waiting):
            status, job = raw.send("GET", f"/v1/jobs/{job_id}")
            assert status == 200, job
            if job["state"] in TERMINAL_STATES:
                final[job_id] = job
                waiting.discard(job_id)
        time.sleep(0.1)
    assert not waiting, f"{len(waiting)} jobs never reached a final state"
    return final
