"""examples/transcribe.py under `spotq serve`: the real whisper tiny.en model, batch (upload to
/v1/predict) and streaming (`spotq stream`) on the shipped samples, checked for word accuracy."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Served, http, start_serve, word_accuracy

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="module")
def whisper() -> Iterator[Served]:
    served = start_serve(ROOT / "examples" / "transcribe.py")
    try:
        yield served
    finally:
        assert served.stop() == 0


def _upload(url: str, path: Path) -> tuple[int, object]:
    boundary = "sp0tq"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    status, _, reply = http(url, "POST", "/v1/predict", body, headers)
    return status, reply


@pytest.mark.parametrize("name", ["report.wav", "kitchen.wav"])
def test_streamed_words_are_as_right_as_batch_ones(whisper: Served, name: str) -> None:
    reference = json.loads((SAMPLES / "texts.json").read_text())[name]
    status, reply = _upload(whisper.url, SAMPLES / name)
    assert status == 200
    batch_text = reply["result"]["text"]  # type: ignore[index]
    command = [sys.executable, "-m", "spotq.cli", "stream", str(SAMPLES / name)]
    run = subprocess.run(
        [*command, "--fast", "--json", "--url", whisper.ws_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    messages = [json.loads(line) for line in run.stdout.splitlines()]
    finals = [m for m in messages if m["type"] == "final"]
    assert finals
    stream_text = " ".join(m["text"] for m in finals)
    assert word_accuracy(reference, batch_text) >= 0.8
    assert word_accuracy(reference, stream_text) >= word_accuracy(reference, batch_text) - 0.1
