"""SIGTERM drain: during 20 in-flight requests and 5 open streams, every request is answered,
every stream gets its last final and then close 1001, and the process exits 0."""

from __future__ import annotations

import json
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from urllib.parse import urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from .conftest import SLOW_ECHO, StreamLog, http, metric, predict, speech_like, start_serve


def _stream_until_closed(ws_url: str, opened: threading.Barrier) -> StreamLog:
    """One utterance with its pause, then speech at real-time pace until the server closes."""
    messages: list[dict[str, object]] = []
    first = speech_like(0.5, pause_s=0.6)
    tone = speech_like(0.1, pause_s=0)
    with connect(ws_url, open_timeout=30) as ws:

        def read() -> None:
            try:
                while True:
                    messages.append(json.loads(ws.recv(timeout=60)))
            except (ConnectionClosed, TimeoutError):
                pass

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        ws.send(first.tobytes())
        opened.wait(60)
        try:
            while reader.is_alive():
                ws.send(tone.tobytes())
                time.sleep(0.1)
        except ConnectionClosed:
            pass
        reader.join(60)
        return StreamLog(messages, ws.close_code, ws.close_reason or "")


def _wait_for(condition: object, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition never held")


def test_sigterm_answers_every_request_and_closes_every_stream_with_1001() -> None:
    # 20 requests at 8 per 0.4 s call take ~1.2 s; the drain window is far longer.
    served = start_serve(SLOW_ECHO, "--drain-s", "30", env={"SLOW_ECHO_CALL_S": "0.4"})
    opened = threading.Barrier(6)
    with ThreadPoolExecutor(25) as pool:
        streams = [pool.submit(_stream_until_closed, served.ws_url, opened) for _ in range(5)]
        opened.wait(60)
        _wait_for(lambda: metric(served.url, "spotq_serve_open_streams") == 5)
        requests = [pool.submit(predict, served.url, {"input": {"i": i}}) for i in range(20)]
        _wait_for(lambda: metric(served.url, "spotq_serve_requests_in_flight") >= 20)
        served.proc.send_signal(signal.SIGTERM)
        # Readiness fails at once (on the connection the load balancer already holds).
        exit_code = served.proc.wait(60)
        replies = [r.result(60) for r in requests]
        logs = [s.result(60) for s in streams]
    assert exit_code == 0
    assert [r[0] for r in replies] == [200] * 20
    assert sorted(r[2]["result"]["echo"]["i"] for r in replies) == list(range(20))  # type: ignore[index]
    for log in logs:
        assert log.code == 1001, log
        assert len(log.finals) >= 2  # the first utterance, and the one cut by the drain
        assert log.messages[-1]["type"] == "final"  # closed after its last final
    assert served.proc.stdout is not None
    events = [json.loads(line)["event"] for line in served.proc.stdout.read().splitlines()]
    assert events[:2] == ["draining", "drained"] and events[-1] == "stopped"


def test_readiness_fails_and_new_connections_are_refused_while_draining() -> None:
    served = start_serve(SLOW_ECHO, "--drain-s", "20", env={"SLOW_ECHO_CALL_S": "3"})
    parts = urlsplit(served.url)
    kept = HTTPConnection(parts.hostname, parts.port, timeout=30)
    kept.request("GET", "/healthz")
    kept.getresponse().read()  # a keep-alive connection opened before the signal
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(predict, served.url, {"input": {"slow": 1}})  # keeps the drain open
        _wait_for(lambda: metric(served.url, "spotq_serve_requests_in_flight") == 1)
        served.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        kept.request("GET", "/readyz")
        reply = kept.getresponse()
        assert reply.status == 503 and b"draining" in reply.read()
        try:
            http(served.url, "GET", "/healthz")
            refused = False
        except OSError:
            refused = True
        assert refused
        assert slow.result(60)[0] == 200
    assert served.proc.wait(60) == 0
    kept.close()


def test_workers_share_the_port_and_all_drain_on_sigterm() -> None:
    import psutil

    env = {"SLOW_ECHO_CALL_S": "0.05"}
    served = start_serve(SLOW_ECHO, "--workers", "2", "--api-key", "k", env=env)
    try:
        children = psutil.Process(served.proc.pid).children()
        assert len(children) == 2
        assert all("k" not in child.cmdline() for child in children)  # the key is not on argv

        def call(i: int) -> tuple[int, dict[str, str], object]:
            return predict(served.url, {"input": {"i": i}}, Authorization="Bearer k")

        with ThreadPoolExecutor(16) as pool:
            replies = list(pool.map(call, range(32)))
        assert [r[0] for r in replies] == [200] * 32
    finally:
        assert served.stop() == 0
    assert not any(child.is_running() and child.status() != "zombie" for child in children)
