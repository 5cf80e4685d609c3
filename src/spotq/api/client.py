"""A small HTTP client for the job API (used by the CLI and `spotq run`); stdlib only."""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from spotq.errors import SpotqError


class ApiCallError(SpotqError):
    """The API answered with an error status, or could not be reached."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class JobsClient:
    """Calls one job API over a kept-alive connection (not thread-safe: one per thread)."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout_s: float = 60.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SpotqError(f"api url {base_url!r}: expected http://HOST:PORT")
        self.base_url = base_url
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname, parts.port
        self._timeout_s = timeout_s
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self._timeout_s)
        return self._conn

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        all_headers = {**self._headers, **(headers or {})}
        for attempt in (1, 2):  # a kept-alive connection the server closed is retried once
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=all_headers)
                response = conn.getresponse()
                return Reply(response.status, response.read())
            except (ConnectionError, http.client.HTTPException) as exc:
                self.close()
                if attempt == 2:
                    raise ApiCallError(0, self._unreachable(exc)) from None
            except OSError as exc:
                self.close()
                raise ApiCallError(0, self._unreachable(exc)) from None
        raise AssertionError("unreachable")

    def _unreachable(self, exc: Exception) -> str:
        return (
            f"cannot reach the job API at {self.base_url}: {exc}. Is it running? Start one with "
            "`spotq up APP`, or point --api-url (or SPOTQ_API_URL) at the one you mean."
        )

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        """A JSON request; raises ApiCallError with the API's own message on an error status."""
        data = None
        hdrs = dict(headers)
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        return _checked(self.request(method, path, data, hdrs)).json()

    def submit(
        self, input: dict[str, Any], priority: str = "normal", idempotency_key: str | None = None
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        job: dict[str, Any] = self.call(
            "POST", "/v1/jobs", {"input": input, "priority": priority}, **headers
        )
        return job

    def upload(
        self,
        filename: str,
        data: bytes,
        input: dict[str, Any] | None = None,
        priority: str = "normal",
    ) -> dict[str, Any]:
        fields = {"priority": priority}
        if input is not None:
            fields["input"] = json.dumps(input)
        body, content_type = encode_multipart(fields, filename, data)
        reply = self.request("POST", "/v1/jobs", body, {"Content-Type": content_type})
        job: dict[str, Any] = _checked(reply).json()
        return job

    def submit_batch(self, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        reply = self.call("POST", "/v1/jobs:batch", {"jobs": list(items)})
        return list(reply["items"])

    def job(self, job_id: str) -> dict[str, Any]:
        job: dict[str, Any] = self.call("GET", f"/v1/jobs/{_segment(job_id)}")
        return job

    def result(self, job_id: str) -> bytes:
        return _checked(self.request("GET", f"/v1/jobs/{_segment(job_id)}/result")).body

    def jobs(self, state: str | None = None, limit: int = 100, offset: int = 0) -> dict[str, Any]:
        query = {"limit": limit, "offset": offset, **({"state": state} if state else {})}
        listing: dict[str, Any] = self.call("GET", f"/v1/jobs?{urlencode(query)}")
        return listing

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _segment(job_id: str) -> str:
    from urllib.parse import quote

    return quote(job_id, safe="")


def _checked(reply: Reply) -> Reply:
    if reply.status < 400:
        return reply
    try:
        message = str(reply.json().get("detail", reply.body[:200]))
    except (ValueError, AttributeError):
        message = reply.body[:200].decode("utf-8", "replace")
    raise ApiCallError(reply.status, message)


def encode_multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with text fields and one `file` part."""
    boundary = uuid.uuid4().hex
    safe_name = filename.replace('"', "_").replace("\r", "_").replace("\n", "_")
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{safe_name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
