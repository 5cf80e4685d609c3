"""`spotq stream`'s client: real-time sending, and one reconnect after the server drains."""

from __future__ import annotations

import socket
import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from spotq.errors import ConfigError, ServiceError
from spotq.serve.client import StreamOptions, read_wav, stream_audio

from .conftest import SLOW_ECHO, heard_samples, http, speech_like, start_serve


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_after_a_1001_the_client_reconnects_once_and_sends_the_rest() -> None:
    port = _free_port()
    # Finals decoded at the endpoint (no early decode) hear all of each utterance's quiet too,
    # so the audio heard adds up to what was sent.
    late = ("--speculate-after-ms", "0")
    first = start_serve(SLOW_ECHO, "--port", str(port), *late)
    audio = np.concatenate([speech_like(0.5, pause_s=0.6) for _ in range(4)])
    finals: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    options = StreamOptions(url=first.ws_url, open_timeout_s=60)

    def run() -> None:
        try:
            finals.extend(stream_audio(audio, options))
        except BaseException as exc:
            errors.append(exc)

    client = threading.Thread(target=run)
    client.start()
    threading.Event().wait(1.5)  # about one utterance in
    assert first.stop() == 0  # drains: the stream gets its finals, then 1001
    second = start_serve(SLOW_ECHO, "--port", str(port), *late)
    try:
        client.join(60)
        assert not client.is_alive() and errors == []
        _, _, text = http(second.url, "GET", "/metrics")  # the rest went here, and ended
        assert b'spotq_serve_stream_closes_total{code="1000"} 1.0' in text  # type: ignore[operator]
        heard = sum(heard_samples(f) for f in finals)
        assert heard == pytest.approx(len(audio), rel=0.25)  # all of it, once, within framing
    finally:
        assert second.stop() == 0


def test_a_refused_first_connection_is_an_error_not_a_retry() -> None:
    url = f"ws://127.0.0.1:{_free_port()}/v1/stream"
    with pytest.raises(ServiceError, match="cannot open a stream"):
        stream_audio(speech_like(0.1), StreamOptions(url=url, open_timeout_s=60))


def test_only_16_khz_mono_pcm16_wavs_are_streamed(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x00\x00" * 800)
    with pytest.raises(ConfigError, match="8000 Hz"):
        read_wav(path)
    (tmp_path / "b.wav").write_bytes(b"not a wav")
    with pytest.raises(ConfigError, match="not a PCM WAV"):
        read_wav(tmp_path / "b.wav")
