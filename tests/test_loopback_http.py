"""spotq.loopback_http: botocore's calls over the lean transport, against servers that frame their
answers every way HTTP/1.1 allows, and against the real SQS server across a restart."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from spotq import loopback_http
from spotq.queues import make_sqs_client
from spotq.sqs.server import SqsServerConfig, start_server
from spotq.stack import StackConfig

LISTED = json.dumps({"QueueUrls": ["http://127.0.0.1/000000000000/a"]}).encode()


def _ok(body: bytes = LISTED, extra: str = "", version: str = "HTTP/1.1") -> bytes:
    head = f"{version} 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n{extra}"
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


@dataclass
class ScriptedServer:
    """Answers the i-th request it reads with `answers[i]` (bytes, or None to say nothing); after
    an answer whose `close_after` index is listed, closes that connection."""

    answers: list[bytes | None]
    close_after: set[int] = field(default_factory=set)
    heads: list[str] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):  # closed by `close`
            self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                text = head.decode("latin-1")
                length = next(
                    (int(line.split(":", 1)[1]) for line in text.split("\r\n")
                     if line.lower().startswith("content-length:")), 0)  # fmt: skip
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                buffer = buffer[length:]
                index = len(self.heads)
                self.heads.append(text)
                answer = self.answers[index] if index < len(self.answers) else _ok()
                if answer is None:
                    self._stop.wait(5)
                    return
                conn.sendall(answer)
                if index in self.close_after:
                    return

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for conn in self._open:
            conn.close()


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(answers: list[bytes | None], close_after: set[int] | None = None) -> ScriptedServer:
        server = ScriptedServer(answers, close_after or set())
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def _client(url: str, *, read_timeout_s: float = 5, attempts: int = 1) -> Any:
    config = Config(
        region_name="us-east-1",
        retries={"total_max_attempts": attempts, "mode": "standard"},
        signature_version=UNSIGNED,
        read_timeout=read_timeout_s,
        connect_timeout=2,
    )
    sqs = boto3.session.Session().client(
        "sqs", endpoint_url=url, config=config, aws_access_key_id="x", aws_secret_access_key="x"
    )
    loopback_http.install(sqs, connect_timeout_s=2, read_timeout_s=read_timeout_s, max_idle=4)
    return sqs


def _listed(reply: dict[str, Any]) -> list[str]:
    assert reply["ResponseMetadata"]["RetryAttempts"] == 0
    urls: list[str] = reply["QueueUrls"]
    return urls


def test_calls_share_one_keep_alive_connection(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted([_ok(), _ok(), _ok()])
    sqs = _client(server.url)
    for _ in range(3):
        assert _listed(sqs.list_queues()) == ["http://127.0.0.1/000000000000/a"]
    assert server.connections == 1
    assert server.heads[0].startswith("POST / HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{server.port}" in server.heads[0]


def test_a_chunked_answer_with_trailers_is_read_whole(
    scripted: Callable[..., ScriptedServer],
) -> None:
    half = len(LISTED) // 2
    chunks = (
        f"{half:x};ext=1\r\n".encode() + LISTED[:half] + b"\r\n"
        + f"{len(LISTED) - half:X}\r\n".encode() + LISTED[half:] + b"\r\n"
        + b"0\r\nX-Trailer: t\r\n\r\n"
    )  # fmt: skip
    answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
    server = scripted([answer, _ok()])
    sqs = _client(server.url)
    assert _listed(sqs.list_queues()) == ["http://127.0.0.1/000000000000/a"]
    assert _listed(sqs.list_queues())  # the connection is still in step after the trailer
    assert server.connections == 1


def test_an_answer_framed_by_closing_is_read_to_the_end_and_not_reused(
    scripted: Callable[..., ScriptedServer],
) -> None:
    answer = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + LISTED
    server = scripted([answer, _ok()], close_after={0})
    sqs = _client(server.url)
    assert _listed(sqs.list_queues()) == ["http://127.0.0.1/000000000000/a"]
    assert _listed(sqs.list_queues())
    assert server.connections == 2


def test_an_http_1_0_answer_closes_its_connection(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted([_ok(version="HTTP/1.0"), _ok()], close_after={0})
    sqs = _client(server.url)
    assert _listed(sqs.list_queues())
    assert _listed(sqs.list_queues())
    assert server.connections == 2


def test_an_interim_100_continue_is_skipped(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted([b"HTTP/1.1 100 Continue\r\n\r\n" + _ok()])
    assert _listed(_client(server.url).list_queues()) == ["http://127.0.0.1/000000000000/a"]


def test_an_idle_connection_the_server_closed_is_replaced_without_a_retry(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted([_ok(), _ok()], close_after={0})
    sqs = _client(server.url)
    assert _listed(sqs.list_queues())
    threading.Event().wait(0.1)  # the server's FIN reaches the pooled connection
    assert _listed(sqs.list_queues())  # RetryAttempts 0: the dead connection was never tried
    assert server.connections == 2


def test_an_error_answer_is_a_client_error_with_the_code_its_headers_give(
    scripted: Callable[..., ScriptedServer],
) -> None:
    body = json.dumps({"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "no"}).encode()
    answer = (
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0\r\n"
        b"x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    )  # fmt: skip
    server = scripted([answer])
    with pytest.raises(ClientError) as caught:
        _client(server.url).get_queue_url(QueueName="nope")
    error = caught.value.response
    assert error["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_server_that_never_answers_is_a_read_timeout(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted([None])
    with pytest.raises(ReadTimeoutError):
        _client(server.url, read_timeout_s=0.3).list_queues()


def test_something_that_is_not_http_is_a_closed_connection(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted([b"SSH-2.0-OpenSSH_9.6\r\n\r\n"], close_after={0})
    with pytest.raises(ConnectionClosedError):
        _client(server.url).list_queues()


def test_nobody_listening_is_an_endpoint_connection_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    with pytest.raises(EndpointConnectionError):
        _client(f"http://127.0.0.1:{port}").list_queues()


@pytest.mark.parametrize(
    ("url", "streamed"),
    [
        ("https://127.0.0.1:4443/", False),
        ("http://sqs.us-east-1.amazonaws.com/", False),
        ("http://127.0.0.1:4443/bucket/key", True),
    ],
)
def test_other_endpoints_and_streamed_answers_are_left_to_botocore(
    url: str, streamed: bool
) -> None:
    transport = loopback_http.LoopbackTransport(connect_timeout_s=1, read_timeout_s=1, max_idle=1)
    request = SimpleNamespace(
        url=url, method="POST", headers={}, body=b"{}", context={}, stream_output=streamed
    )
    assert transport.send(request) is None


def test_header_values_with_line_breaks_are_refused(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted([_ok()])
    transport = loopback_http.LoopbackTransport(connect_timeout_s=1, read_timeout_s=1, max_idle=1)
    request = SimpleNamespace(
        url=server.url + "/", method="POST", headers={"X-A": "b\r\nX-Evil: 1"}, body=b"", context={}
    )
    with pytest.raises(ValueError, match="line break"):
        transport.send(request)
    assert server.heads == []


def test_spotq_clients_of_a_local_server_use_it(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted([_ok()])
    sqs = make_sqs_client(StackConfig("t", server.url, sqs_signed=False))
    assert _listed(sqs.list_queues())
    # http.client (under urllib3) always adds Accept-Encoding; botocore's own headers do not.
    assert "accept-encoding" not in server.heads[0].lower()


def test_many_threads_share_a_client_against_the_real_server(tmp_path: Path) -> None:
    with start_server(SqsServerConfig(port=0, data_dir=tmp_path / "data")) as server:
        sqs = make_sqs_client(StackConfig("t", server.endpoint_url, sqs_signed=False))
        url = sqs.create_queue(QueueName="threads")["QueueUrl"]
        errors: list[BaseException] = []

        def send(thread: int) -> None:
            try:
                for i in range(25):
                    sqs.send_message(QueueUrl=url, MessageBody=f"{thread}-{i}-" + "x" * 5000)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        bodies: set[str] = set()
        while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            bodies |= {m["Body"] for m in got}
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                         for i, m in enumerate(got)],
            )  # fmt: skip
        assert len(bodies) == 8 * 25


def test_a_client_carries_on_across_a_server_restart(tmp_path: Path) -> None:
    config = SqsServerConfig(port=0, data_dir=tmp_path / "data")
    with start_server(config) as server:
        url = server.endpoint_url
        sqs = make_sqs_client(StackConfig("t", url, sqs_signed=False))
        queue = sqs.create_queue(QueueName="restart")["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="before")
    port = int(url.rsplit(":", 1)[1])
    with start_server(SqsServerConfig(port=port, data_dir=tmp_path / "data")):
        reply = sqs.receive_message(QueueUrl=queue)
        assert reply["ResponseMetadata"]["RetryAttempts"] == 0
        assert [m["Body"] for m in reply["Messages"]] == ["before"]
