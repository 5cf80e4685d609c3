"""The streaming client behind `spotq stream`: a WAV to /v1/stream at real-time pace."""

from __future__ import annotations

import json
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from spotq.errors import ConfigError, ServiceError
from spotq.serve.settings import SAMPLE_RATE_HZ

OnMessage = Callable[[dict[str, Any]], None]
_GOING_AWAY = 1001
_TRY_LATER = 1013


@dataclass(frozen=True)
class StreamOptions:
    url: str
    api_key: str | None = None
    realtime: bool = True
    frame_ms: int = 100
    reconnects: int = 1  # after a 1001 (the server drained), continue on a new connection
    open_timeout_s: float = 10.0


def read_wav(path: Path) -> np.ndarray:
    """The samples of a 16 kHz mono 16-bit PCM WAV; anything else is a ConfigError."""
    try:
        with wave.open(str(path), "rb") as wav:
            rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ConfigError(f"{path}: not a PCM WAV file ({exc})") from None
    if (rate, channels, width) != (SAMPLE_RATE_HZ, 1, 2):
        raise ConfigError(
            f"{path}: {rate} Hz, {channels} channel(s), {8 * width}-bit; streams take "
            f"{SAMPLE_RATE_HZ} Hz mono 16-bit (e.g. sox IN -r 16000 -c 1 -b 16 OUT.wav)"
        )
    return np.frombuffer(frames, dtype="<i2")


def stream_audio(
    samples: np.ndarray, options: StreamOptions, on_message: OnMessage | None = None
) -> list[dict[str, Any]]:
    """Send the samples, then "end"; return the final transcripts. After a 1001 it reconnects
    (`options.reconnects` times) and sends the rest; a 1013 (the server is loading or full) is
    retried from the same point for up to `open_timeout_s`."""
    finals: list[dict[str, Any]] = []
    position, reconnects = 0, options.reconnects
    ws = _connect(options, retry_s=0.0)
    busy_until = time.monotonic() + options.open_timeout_s
    while True:
        start = position
        position, code = _one_connection(ws, samples, position, options, finals, on_message)
        if code == _TRY_LATER and time.monotonic() < busy_until:
            position = start  # a refused stream kept nothing
            time.sleep(0.5)
            ws = _connect(options, retry_s=max(0.0, busy_until - time.monotonic()))
            continue
        if code == _GOING_AWAY and position < len(samples) and reconnects > 0:
            reconnects -= 1
            busy_until = time.monotonic() + options.open_timeout_s
            ws = _connect(options, retry_s=options.open_timeout_s)
            continue
        if code not in (1000, _GOING_AWAY):
            raise ServiceError(f"the server closed the stream with code {code}")
        return finals


def _connect(options: StreamOptions, retry_s: float) -> ClientConnection:
    """Open a stream; a reconnect keeps trying for `retry_s` (behind a load balancer the next
    task answers at once; a lone server may be restarting)."""
    headers = {"Authorization": f"Bearer {options.api_key}"} if options.api_key else None
    deadline = time.monotonic() + retry_s
    while True:
        try:
            return connect(
                options.url, additional_headers=headers, open_timeout=options.open_timeout_s
            )
        except (InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise ServiceError(f"cannot open a stream at {options.url}: {exc}") from None
        except OSError as exc:  # refused: nobody listens there (yet)
            if time.monotonic() >= deadline:
                raise ServiceError(f"cannot open a stream at {options.url}: {exc}") from None
            time.sleep(0.2)


def _one_connection(
    ws: ClientConnection,
    samples: np.ndarray,
    position: int,
    options: StreamOptions,
    finals: list[dict[str, Any]],
    on_message: OnMessage | None,
) -> tuple[int, int | None]:
    with ws:
        reader = _Reader(ws, finals, on_message)
        reader.start()
        position = _send(ws, samples, position, options)
        reader.join()
    return position, reader.code


def _send(ws: ClientConnection, samples: np.ndarray, position: int, options: StreamOptions) -> int:
    step = SAMPLE_RATE_HZ * options.frame_ms // 1000
    started, first = time.monotonic(), position
    try:
        while position < len(samples):
            if options.realtime:
                due = started + (position - first) / SAMPLE_RATE_HZ
                time.sleep(max(0.0, due - time.monotonic()))
            ws.send(samples[position : position + step].tobytes())
            position += step
        ws.send(json.dumps({"type": "end"}))
    except ConnectionClosed:
        pass  # the reader has the close code
    return min(position, len(samples))


class _Reader(threading.Thread):
    def __init__(
        self, ws: ClientConnection, finals: list[dict[str, Any]], on_message: OnMessage | None
    ) -> None:
        super().__init__(daemon=True)
        self.ws, self.finals, self.on_message = ws, finals, on_message
        self.code: int | None = None

    def run(self) -> None:
        try:
            for raw in self.ws:
                message = json.loads(raw)
                if message.get("type") == "final":
                    self.finals.append(message)
                if self.on_message is not None:
                    self.on_message(message)
        except ConnectionClosed:
            pass
        self.code = self.ws.close_code
