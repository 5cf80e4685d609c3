"""A lean HTTP/1.1 transport for botocore clients whose endpoint is plain HTTP on this machine.

On loopback, urllib3 and http.client cost about half of an SQS call's client CPU
(bench/sqs_client_cost.py), and SQS calls are most of a no-op job's CPU. This transport answers
botocore's public `before-send` event: botocore still serializes, signs, retries and parses every
call; only moving the bytes over the socket is done here. A URL that is not `http://` on a loopback
host gets None, and botocore sends that request itself as usual."""

from __future__ import annotations

import socket
import threading
import weakref
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from spotq.net import is_loopback

MAX_HEAD_BYTES = 64 * 1024
_RECV_BYTES = 256 * 1024
_NO_BODY_STATUSES = (204, 304)
_BODY_METHODS = ("POST", "PUT", "PATCH")
_MAX_TARGETS = 256
_UNSEEN: Any = object()
# (host, port) to connect to, the Host header's value, and the request line's target
_Target = tuple[tuple[str, int], str, str]


class _Dropped(Exception):
    """The server closed the connection (or sent something that is not HTTP/1.x) mid-exchange."""


class _Body:
    """The whole response body, already read, in the shape botocore reads a response's `raw` in."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data

    def read(self, *_: Any, **__: Any) -> bytes:
        return self._data

    def close(self) -> None:
        pass


class _Connection:
    """One keep-alive TCP connection; answers requests one at a time, in order."""

    def __init__(self, host: str, port: int, connect_timeout_s: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=connect_timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = bytearray()

    def is_idle(self) -> bool:
        """False when the server closed this pooled connection (or left bytes nobody asked for)."""
        self.sock.settimeout(0)  # a timeout would make Python wait for readability first
        try:
            self.sock.recv(1, socket.MSG_PEEK)  # b"": closed; bytes: nobody asked for them
        except BlockingIOError:
            return True
        except OSError:
            return False
        return False

    def close(self) -> None:
        self.sock.close()

    def exchange(
        self, message: bytes, read_timeout_s: float
    ) -> tuple[int, dict[str, str], bytes, bool]:
        """Send one request; return the final response's status, headers, body, and whether the
        connection can carry another request."""
        self.sock.settimeout(read_timeout_s)
        self.sock.sendall(message)
        while True:
            version, status, headers = self._read_head()
            if not 100 <= status < 200:
                break  # 1xx responses are interim: the final one follows
        connection = headers.get("connection", "").lower()
        reusable = version == "HTTP/1.1" and "close" not in connection
        if status in _NO_BODY_STATUSES:
            return status, headers, b"", reusable
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return status, headers, self._read_chunked(), reusable
        length = headers.get("content-length")
        if length is None:
            return status, headers, self._read_to_eof(), False
        try:
            size = int(length)
        except ValueError:
            raise _Dropped(f"bad Content-Length {length!r}") from None
        return status, headers, self._take(size), reusable

    def _fill(self) -> None:
        chunk = self.sock.recv(_RECV_BYTES)
        if not chunk:
            raise _Dropped("the server closed the connection")
        self._buffer += chunk

    def _take(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _until(self, delimiter: bytes, what: str) -> bytes:
        """The bytes before the next `delimiter` (consumed with it), read in as needed; at most
        MAX_HEAD_BYTES of them."""
        start = 0
        while (end := self._buffer.find(delimiter, start)) < 0:
            if len(self._buffer) > MAX_HEAD_BYTES:
                raise _Dropped(f"{what} too long")
            start = max(0, len(self._buffer) - len(delimiter) + 1)
            self._fill()
        return self._take(end + len(delimiter))[: -len(delimiter)]

    def _line(self) -> bytes:
        return self._until(b"\r\n", "response line")

    def _read_head(self) -> tuple[str, int, dict[str, str]]:
        lines = self._until(b"\r\n\r\n", "response head").decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise _Dropped(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        return parts[0], int(parts[1]), headers

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            size_text = self._line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _Dropped(f"bad chunk size {size_text[:20]!r}") from None
            if size == 0:
                while self._line():  # trailers, then the blank line that ends the message
                    pass
                return bytes(body)
            body += self._take(size)
            if self._take(2) != b"\r\n":
                raise _Dropped("chunk not followed by CRLF")

    def _read_to_eof(self) -> bytes:
        while True:
            try:
                self._fill()
            except _Dropped:
                data = bytes(self._buffer)
                self._buffer.clear()
                return data


class LoopbackTransport:
    """Keeps idle connections per (host, port), at most `max_idle` each; a `before-send` handler."""

    def __init__(self, *, connect_timeout_s: float, read_timeout_s: float, max_idle: int) -> None:
        self._connect_timeout_s = connect_timeout_s
        self._read_timeout_s = read_timeout_s
        self._max_idle = max_idle
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._lock = threading.Lock()
        self._targets: dict[str, _Target | None] = {}

    def send(self, request: Any, **_: Any) -> AWSResponse | None:
        """botocore's `before-send` handler: the response, or None to let botocore send it."""
        url: str = request.url
        target = self._targets.get(url, _UNSEEN)
        if target is _UNSEEN:
            target = self._targets[url] = _target(url)
            if len(self._targets) > _MAX_TARGETS:  # queue URLs are few; never grow without bound
                self._targets.clear()
        if target is None or getattr(request, "stream_output", False):
            return None  # not ours; or a streamed body, read in parts: urllib3 does that
        address, netloc, request_target = target
        message = _request_bytes(request, netloc, request_target)
        context = getattr(request, "context", None) or {}
        read_timeout_s = context.get("read_timeout") or self._read_timeout_s
        connection = self._checkout(address, url)
        try:
            status, headers, body, reusable = connection.exchange(message, read_timeout_s)
        except TimeoutError as exc:
            connection.close()
            raise ReadTimeoutError(endpoint_url=url, error=exc) from None
        except (OSError, _Dropped) as exc:
            connection.close()
            raise ConnectionClosedError(endpoint_url=url, request=request, error=exc) from None
        if reusable:
            self._checkin(address, connection)
        else:
            connection.close()
        return AWSResponse(url, status, headers, _Body(body))

    def close(self) -> None:
        with self._lock:
            pools, self._idle = list(self._idle.values()), {}
        for pool in pools:
            for connection in pool:
                connection.close()

    def _checkout(self, address: tuple[str, int], url: str) -> _Connection:
        while True:
            with self._lock:
                pool = self._idle.get(address)
                connection = pool.pop() if pool else None
            if connection is None:
                break
            if connection.is_idle():
                return connection
            connection.close()
        try:
            return _Connection(address[0], address[1], self._connect_timeout_s)
        except TimeoutError as exc:
            raise ConnectTimeoutError(endpoint_url=url, error=exc) from None
        except OSError as exc:
            raise EndpointConnectionError(endpoint_url=url, error=exc) from None

    def _checkin(self, address: tuple[str, int], connection: _Connection) -> None:
        with self._lock:
            pool = self._idle.setdefault(address, [])
            if len(pool) < self._max_idle:
                pool.append(connection)
                return
        connection.close()


def _target(url: str) -> _Target | None:
    """Where a URL's requests go and what their request line names; None: not a plain-HTTP
    loopback URL, so not this transport's."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme != "http" or host is None or not is_loopback(host):
        return None
    request_target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (host, parts.port or 80), parts.netloc, request_target


def _request_bytes(request: Any, netloc: str, request_target: str) -> bytes:
    body = request.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes | bytearray):
        if not hasattr(body, "read"):
            raise TypeError(f"cannot send a request body of type {type(body).__name__}")
        body = body.read()
    fields = [
        f"{name}: {value.decode('latin-1') if isinstance(value, bytes) else value}"
        for name, value in request.headers.items()
    ]
    head = "\r\n".join(fields)
    # The separators hold len(fields) - 1 of each; any more is a line break inside a header.
    if head.count("\r") >= len(fields) or head.count("\n") >= len(fields):
        raise ValueError("a header holds a line break")  # as http.client refuses it
    known = "\r\n" + head.lower()
    if "\r\nhost:" not in known:
        fields.append(f"Host: {netloc}")
    if "\r\ncontent-length:" not in known and (body or request.method in _BODY_METHODS):
        fields.append(f"Content-Length: {len(body)}")
    lines = "\r\n".join([f"{request.method} {request_target} HTTP/1.1", *fields, "\r\n"])
    return lines.encode("latin-1") + bytes(body)


def install(client: Any, *, connect_timeout_s: float, read_timeout_s: float, max_idle: int) -> None:
    """Send `client`'s requests to loopback `http://` endpoints through a `LoopbackTransport`;
    its connections close when the client is garbage-collected."""
    transport = LoopbackTransport(
        connect_timeout_s=connect_timeout_s, read_timeout_s=read_timeout_s, max_idle=max_idle
    )
    client.meta.events.register("before-send", transport.send)
    weakref.finalize(client, transport.close)
