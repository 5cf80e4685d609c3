"""`spotq serve` as a real subprocess on 127.0.0.1, and clients for it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
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


@pytest.fixture
def echo_server() -> Iterator[Served]:
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
