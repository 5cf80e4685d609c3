"""The SQS server as a child process (the embedded stack's): it serves, keeps its data across a
restart, fails clearly, and never outlives its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import make_sqs_client
from spotq.errors import ServiceError
from spotq.sqs.process import SqsServerProcess
from spotq.sqs.server import SqsServerConfig


def _server(data_dir: Path) -> SqsServerProcess:
    return SqsServerProcess(SqsServerConfig(port=0, data_dir=data_dir), data_dir)


def test_serves_and_keeps_messages_across_a_restart(tmp_path: Path) -> None:
    server = _server(tmp_path).start()
    try:
        sqs = make_sqs_client(server.endpoint_url)
        url = sqs.create_queue(QueueName="p")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="kept")
    finally:
        server.stop()
    again = _server(tmp_path).start()
    try:
        sqs = make_sqs_client(again.endpoint_url)
        url = sqs.get_queue_url(QueueName="p")["QueueUrl"]
        assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "kept"
    finally:
        again.stop()


def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    server = SqsServerProcess(SqsServerConfig(port=0, data_dir=blocker), tmp_path)
    with pytest.raises(ServiceError, match=r"did not start.*not-a-dir"):
        server.start(timeout_s=30)


_PARENT = """
import sys, time
from pathlib import Path
from spotq.sqs.process import SqsServerProcess
from spotq.sqs.server import SqsServerConfig
d = Path(sys.argv[1])
server = SqsServerProcess(SqsServerConfig(port=0, data_dir=d), d).start()
print(server._proc.pid, flush=True)
time.sleep(120)
"""


def test_the_child_stops_when_its_parent_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    child = psutil.Process(child_pid)
    assert child.is_running()
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(10)
    child.wait(20)  # psutil.TimeoutExpired if it lingers
    # Its data dir is free again: a new server can take the lock.
    deadline = time.monotonic() + 10
    server = _server(tmp_path).start()
    server.stop()
    assert time.monotonic() < deadline
