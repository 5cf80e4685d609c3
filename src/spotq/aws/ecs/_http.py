"""A tiny HTTP client for link-local agents (IMDS, the ECS agent): stdlib only, short timeouts."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def call(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout_s: float = 2.0,
) -> Reply:
    """One request; an HTTP error status is a Reply, an unreachable host raises OSError."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as reply:
            return Reply(reply.status, reply.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Reply(exc.code, exc.read())


def put_json(url: str, doc: Any, *, timeout_s: float = 2.0) -> Reply:
    data = json.dumps(doc).encode()
    return call(
        "PUT", url, headers={"Content-Type": "application/json"}, body=data, timeout_s=timeout_s
    )


def emit_stderr(event: str, **fields: Any) -> None:
    """Default event sink: one JSON line on stderr, like the worker's own log."""
    import sys

    sys.stderr.write(json.dumps({"event": event, **fields}, default=str) + "\n")
