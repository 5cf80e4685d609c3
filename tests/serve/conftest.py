"""`spotq serve` as a real subprocess on 127.0.0.1, and clients for it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

APPS = Path(__file__).parent / "apps"
SLOW_ECHO = APPS / "slow_echo.py"


@dataclass
class Served:
    proc: subprocess.Popen[str]
    url: str

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/v1/stream"

    def stop(self, timeout_s: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout_s)


def start_serve(app: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    """Start `spotq serve APP --port 0`, read its URL, and wait until /readyz answers 200."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "spotq.cli", "serve", str(app), "--port", "0", *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"spotq serve exited with {proc.wait()} before listening")
    url = json.loads(line)["url"]
    served = Served(proc, url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=5) as reply:
                if reply.status == 200:
                    return served
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"spotq serve exited with {proc.returncode}")
        time.sleep(0.1)
    served.stop()
    raise RuntimeError("spotq serve never became ready")


@pytest.fixture(scope="module")
def echo_server() -> Iterator[Served]:
    """One server per test module: starting one costs seconds; tests that need other settings
    start their own."""
    served = start_serve(SLOW_ECHO, env={"SLOW_ECHO_CALL_S": "0.05"})
    try:
        yield served
    finally:
        served.stop()
        if served.proc.stdout is not None:
            served.proc.stdout.close()


def speech_like(seconds: float, pause_s: float = 0.8, rate: int = 16_000) -> np.ndarray:
    """A 300 Hz tone (loud enough to count as speech) followed by `pause_s` of silence."""
    t = np.arange(int(seconds * rate)) / rate
    tone = (0.3 * 32767 * np.sin(2 * np.pi * 300 * t)).astype("<i2")
    return np.concatenate([tone, np.zeros(int(pause_s * rate), dtype="<i2")])


def http(
    url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], object]:
    """One request with exactly these bytes; status, headers and the JSON (or raw) body back."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        reply = conn.getresponse()
        data = reply.read()
    finally:
        conn.close()
    try:
        decoded: object = json.loads(data)
    except ValueError:
        decoded = data
    return reply.status, {k.lower(): v for k, v in reply.getheaders()}, decoded


def predict(url: str, value: object, **headers: str) -> tuple[int, dict[str, str], object]:
    body = json.dumps(value).encode()
    return http(url, "POST", "/v1/predict", body, {"Content-Type": "application/json", **headers})


def metric(url: str, name: str) -> float:
    """The sum of a Prometheus metric's samples named exactly `name` (all label sets)."""
    _, _, text = http(url, "GET", "/metrics")
    assert isinstance(text, bytes)
    total = 0.0
    for line in text.decode().splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


@dataclass
class StreamLog:
    """What one stream received: its messages in order and how it was closed."""

    messages: list[dict[str, object]]
    code: int | None
    reason: str

    @property
    def finals(self) -> list[dict[str, object]]:
        return [m for m in self.messages if m["type"] == "final"]


def run_stream(
    ws_url: str,
    chunks: list[bytes | str],
    pace_s: float = 0.0,
    headers: dict[str, str] | None = None,
    until_closed: bool = True,
) -> StreamLog:
    """Send `chunks` (bytes: audio, str: text) `pace_s` apart, then read until the server closes."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    messages: list[dict[str, object]] = []
    with connect(ws_url, additional_headers=headers, open_timeout=30) as ws:
        try:
            for chunk in chunks:
                ws.send(chunk)
                time.sleep(pace_s)
            while until_closed:
                messages.append(json.loads(ws.recv(timeout=60)))
        except ConnectionClosed:
            pass
        if not until_closed:
            ws.close()
        return StreamLog(messages, ws.close_code, ws.close_reason or "")


def heard_samples(final: Mapping[str, object]) -> int:
    """The audio length a final of the slow-echo app was decoded from (its text says it)."""
    return int(str(final["text"]).split()[1])


def frames(audio: np.ndarray, frame_ms: int = 100) -> list[bytes | str]:
    step = 16 * frame_ms
    return [audio[k : k + step].tobytes() for k in range(0, len(audio), step)]


def word_accuracy(reference: str, hypothesis: str) -> float:
    """1 - word error rate, as tests/worker/test_transcribe_example.py measures it."""
    import re

    def words(text: str) -> list[str]:
        return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()

    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i]
        for j, hyp_word in enumerate(hyp, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
            )
        previous = current
    return max(0.0, 1.0 - previous[-1] / max(1, len(ref)))
