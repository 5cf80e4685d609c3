"""QueueServerWatch: a killed queue server child comes back on the same URL with its data."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from conftest import make_sqs_client
from spotq.clock import SystemClock
from spotq.fleet.sqs_watch import QueueServerWatch
from spotq.sqs.process import SqsServerProcess
from spotq.sqs.server import SqsServerConfig


def test_a_killed_queue_server_is_restarted_on_the_same_url_with_its_messages(
    tmp_path: Path,
) -> None:
    server = SqsServerProcess(SqsServerConfig(port=0, data_dir=tmp_path), tmp_path).start()
    watch = QueueServerWatch(server, SystemClock())
    try:
        url_before = server.endpoint_url
        sqs = make_sqs_client(url_before)
        queue = sqs.create_queue(QueueName="kept")["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="acknowledged")
        watch.check()
        assert watch.health() is None and watch.restarts == 0
        assert server._proc is not None
        pid = server._proc.pid
        os.kill(pid, signal.SIGKILL)
        server._proc.wait()
        assert "the queue server exited (code -9)" in str(watch.health())
        watch.check()  # restarts it
        assert watch.restarts == 1 and watch.health() is None
        assert server.endpoint_url == url_before
        assert not os.path.exists(f"/proc/{pid}")  # reaped: no zombie left
        reply = make_sqs_client(url_before).receive_message(QueueUrl=queue, WaitTimeSeconds=1)
        assert [m["Body"] for m in reply["Messages"]] == ["acknowledged"]
    finally:
        watch.stop()
        server.stop()


def test_the_watch_does_nothing_once_stopped(tmp_path: Path) -> None:
    server = SqsServerProcess(SqsServerConfig(port=0, data_dir=tmp_path), tmp_path).start()
    watch = QueueServerWatch(server, SystemClock())
    watch.stop()
    server.stop()
    watch.check()  # a stack that stops its server on purpose is not restarted
    assert watch.restarts == 0 and not server.alive()
