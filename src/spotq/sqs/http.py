"""A small HTTP/1.1 server on asyncio + httptools: keep-alive, TCP_NODELAY, pipelining-safe,
bounded request bodies. A handler maps a parsed request to a response (or an awaitable of one).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import cast

import httptools

# A 1 MiB message (or batch) can triple on the wire: JSON \uXXXX escapes and the query
# protocol's %XX encoding both spend 3 bytes per UTF-8 byte in the worst case.
DEFAULT_MAX_BODY_BYTES = 3 * 1_048_576 + 512 * 1024
# Past this many bytes of an oversized body we stop reading and close the connection.
_DISCARD_LIMIT_BYTES = 64 * 1_048_576
_MAX_QUEUED_REQUESTS = 64


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool = True


@dataclass(slots=True)
class HttpResponse:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


Handler = Callable[[HttpRequest], "HttpResponse | Awaitable[HttpResponse]"]
ErrorResponder = Callable[[int, str], HttpResponse]


def plain_error(status: int, message: str) -> HttpResponse:
    return HttpResponse(status, message.encode("utf-8"), [("Content-Type", "text/plain")])


# Per status, the head's text up to the Content-Length value.
_STATUS_LINES = {
    status.value: f"HTTP/1.1 {status.value} {status.phrase}\r\nContent-Length: "
    for status in HTTPStatus
}


def encode_response(response: HttpResponse, keep_alive: bool) -> bytes:
    """Serialize a response with Content-Length framing."""
    status = response.status
    start = _STATUS_LINES.get(status) or f"HTTP/1.1 {status} Unknown\r\nContent-Length: "
    fields = "".join([f"\r\n{name}: {value}" for name, value in response.headers])
    close = "" if keep_alive else "\r\nConnection: close"
    body = response.body
    return f"{start}{len(body)}{fields}{close}\r\n\r\n".encode("latin-1") + body


class _Connection(asyncio.Protocol):
    """One client connection: parses requests and answers them strictly in order."""

    def __init__(self, server: HttpServer) -> None:
        self._server = server
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._body_bytes = 0
        self._too_large = False
        self._queue: deque[HttpRequest] = deque()
        self._busy = False
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connections.discard(self)
        self._closing = True
        if self._task is not None:
            self._task.cancel()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(400, "Protocol upgrades are not supported.")
        except httptools.HttpParserError:
            self._fail(400, "Malformed HTTP request.")

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}
        self._body = []
        self._body_bytes = 0
        self._too_large = False

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        length = self._headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self._server.max_body_bytes:
            self._reject_body()
        elif self._headers.get("expect", "").lower() == "100-continue" and self._transport:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._too_large:
            if self._body_bytes > _DISCARD_LIMIT_BYTES:
                self.close()
            return
        if self._body_bytes > self._server.max_body_bytes:
            self._reject_body()
            return
        self._body.append(body)

    def _reject_body(self) -> None:
        """Refuse an oversized body without buffering it: answer 413 at once when nothing is
        pending on this connection (the client reads it after sending), then discard the rest."""
        self._too_large = True
        self._body = []
        if not self._busy and not self._queue:
            self._fail(413, "Request body too large.", close=False)

    def on_message_complete(self) -> None:
        if self._too_large:
            if self._closing:
                self.close()
            else:
                self._fail(413, "Request body too large.")
            return
        url = self._url.decode("latin-1")
        path, _, query = url.partition("?")
        request = HttpRequest(
            self._parser.get_method().decode("latin-1"),
            path,
            query,
            self._headers,
            b"".join(self._body),
            self._parser.should_keep_alive(),
        )
        self._queue.append(request)
        if len(self._queue) > _MAX_QUEUED_REQUESTS and self._transport is not None:
            self._transport.pause_reading()
        if not self._busy:
            self._drain()

    def _drain(self) -> None:
        while self._queue and not self._closing:
            request = self._queue.popleft()
            result = self._server.handler(request)
            if isinstance(result, HttpResponse):
                self._send(result, request.keep_alive)
                continue
            self._busy = True
            self._task = asyncio.ensure_future(self._finish(result, request.keep_alive))
            return
        if self._transport is not None and not self._closing:
            self._transport.resume_reading()

    async def _finish(self, pending: Awaitable[HttpResponse], keep_alive: bool) -> None:
        try:
            response = await pending
        except asyncio.CancelledError:
            return
        except Exception as exc:  # the handler's own error path failed; never drop silently
            response = self._server.error_response(500, f"Internal error: {type(exc).__name__}")
        self._task = None
        self._busy = False
        self._send(response, keep_alive)
        self._drain()

    def _send(self, response: HttpResponse, keep_alive: bool) -> None:
        if self._transport is None or self._closing:
            return
        keep_alive = keep_alive and not self._server.stopping
        self._transport.write(encode_response(response, keep_alive))
        if self._server.after_response is not None:
            self._server.after_response()
        if not keep_alive:
            self._closing = True
            self._transport.close()

    def _fail(self, status: int, message: str, *, close: bool = True) -> None:
        """Answer a request we cannot parse or accept with `Connection: close`; close now
        unless the rest of its body is still to be read and discarded."""
        if self._closing:
            self.close()
            return
        self._queue.clear()
        response = self._server.error_response(status, message)
        if self._transport is None:
            return
        self._transport.write(encode_response(response, keep_alive=False))
        self._closing = True
        if close:
            self._transport.close()

    def close(self) -> None:
        self._closing = True
        if self._transport is not None:
            self._transport.close()


class HttpServer:
    """Owns the listening socket and the live connections."""

    def __init__(
        self,
        handler: Handler,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        error_response: ErrorResponder = plain_error,
        after_response: Callable[[], None] | None = None,
    ) -> None:
        """`after_response` runs after each reply has been written (work the reply does not
        wait for)."""
        self.handler = handler
        self.after_response = after_response
        self.max_body_bytes = max_body_bytes
        self.error_response = error_response
        self.connections: set[_Connection] = set()
        self.stopping = False
        self._server: asyncio.AbstractServer | None = None

    async def start(self, host: str, port: int) -> int:
        """Bind and start accepting; return the bound port (useful with port 0)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self), host, port, reuse_address=True, backlog=1024
        )
        sockets = self._server.sockets
        return int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop accepting, close every connection, and wait for the listener to close."""
        self.stopping = True
        if self._server is not None:
            self._server.close()
        for connection in list(self.connections):
            connection.close()
        if self._server is not None:
            await self._server.wait_closed()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop loop when uvloop is installed, else the default asyncio loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def serve_http(handler: Handler, host: str, port: int) -> None:
    """Serve `handler` on host:port until interrupted (used by benchmarks' canned servers)."""
    loop = new_event_loop()
    server = HttpServer(handler)
    try:
        loop.run_until_complete(server.start(host, port))
        loop.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        loop.run_until_complete(server.stop())
        loop.close()
