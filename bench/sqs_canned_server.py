"""A do-nothing SQS JSON endpoint: fixed valid replies for the benchmark's three operations.

Two engines:
- `spotq-http` (default): spotq's own HTTP front end and JSON protocol layer with the queue
  service replaced by canned results, so that spotq/canned measures what the store and the
  service cost on top of the same transport;
- `bare`: a minimal asyncio HTTP loop with no spotq code, the client's own ceiling.
Both use keep-alive with TCP_NODELAY and decode each request's JSON (to echo batch entry ids).
Run: python bench/sqs_canned_server.py --port 9325 [--engine bare]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import uuid
from typing import Any

_MD5 = "5d41402abc4b2a76b9719d911017c592"
_MESSAGES = [
    {
        "MessageId": str(uuid.UUID(int=i)),
        "ReceiptHandle": f"canned-receipt-handle-{i:04d}-" + "x" * 100,
        "MD5OfBody": _MD5,
        "Body": "x" * 100,
    }
    for i in range(10)
]


def canned_result(operation: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """The reply a real server would give, without a queue behind it (None: unsupported)."""
    if operation == "ReceiveMessage":
        return {"Messages": _MESSAGES}
    ids = [entry.get("Id", "") for entry in params.get("Entries", [])]
    if operation == "SendMessageBatch":
        ok = [{"Id": i, "MessageId": str(uuid.uuid4()), "MD5OfMessageBody": _MD5} for i in ids]
        return {"Successful": ok, "Failed": []}
    if operation == "DeleteMessageBatch":
        return {"Successful": [{"Id": i} for i in ids], "Failed": []}
    if operation in ("CreateQueue", "GetQueueUrl"):
        return {"QueueUrl": "http://127.0.0.1/000000000000/canned"}
    return None


_INVALID = b'{"__type": "com.amazonaws.sqs#InvalidAction", "message": "canned server"}'


# ------------------------------------------------------------------ engine: spotq's HTTP front end


def serve_spotq_http(host: str, port: int) -> None:
    from spotq.sqs import protocol_json
    from spotq.sqs.http import HttpRequest, HttpResponse, serve_http

    def handle(request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        target = request.headers.get("x-amz-target", "")
        operation, params = protocol_json.parse_request(target, request.body)
        result = canned_result(operation, params)
        headers = [("Content-Type", protocol_json.CONTENT_TYPE), ("x-amzn-RequestId", request_id)]
        if result is None:
            return HttpResponse(400, _INVALID, headers)
        return HttpResponse(200, protocol_json.render_result(result, operation), headers)

    print(f"canned server (spotq-http) on http://{host}:{port}", flush=True)
    serve_http(handle, host, port)


# ----------------------------------------------------------------------------- engine: bare asyncio


class _Http(asyncio.Protocol):
    """HTTP/1.1 keep-alive with just enough parsing for botocore's requests."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # uvloop's transports are not asyncio.Transport subclasses
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            headers = {}
            for line in self.buffer[:head_end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get(b"content-length", b"0"))
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            body, self.buffer = self.buffer[head_end + 4 : end], self.buffer[end:]
            self._respond(headers.get(b"x-amz-target", b"").decode(), body)

    def _respond(self, target: str, body: bytes) -> None:
        params = json.loads(body) if body.strip() else {}
        result = canned_result(target.rpartition(".")[2], params)
        payload = _INVALID if result is None else json.dumps(result).encode()
        status = "400 Bad Request" if result is None else "200 OK"
        head = (
            f"HTTP/1.1 {status}\r\n"
            "Content-Type: application/x-amz-json-1.0\r\n"
            f"x-amzn-RequestId: {uuid.uuid4()}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        )
        self.transport.write(head.encode() + payload)


async def _serve_bare(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Http, host, port)
    print(f"canned server (bare) on http://{host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


def serve_bare(host: str, port: int) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_serve_bare(host, port))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9325)
    parser.add_argument("--engine", choices=["spotq-http", "bare"], default="spotq-http")
    args = parser.parse_args()
    if args.engine == "bare":
        serve_bare(args.host, args.port)
    else:
        serve_spotq_http(args.host, args.port)


if __name__ == "__main__":
    main()
