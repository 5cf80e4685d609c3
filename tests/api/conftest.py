"""A real embedded stack (SQS server, stores, uvicorn) per test and no workers: jobs stay queued."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from spotq.api.client import JobsClient
from spotq.app import App
from spotq.fleet.embedded import EmbeddedStack, StackOptions

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


def start_stack(tmp_path: Path, api_key: str | None = None) -> EmbeddedStack:
    app = App("echo", handler=lambda model, jobs: [j.input for j in jobs])
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
