"""A test app for `spotq serve`: echoes inputs in batches after a short sleep per handler call,
records batch sizes, fails on request, and a stream handler that reports what it heard."""

from __future__ import annotations

import os
import time
from typing import Any

import spotq

app = spotq.App(
    "slow-echo",
    batch_size=8,
    max_batch_wait_ms=20,
    latency_budget_ms=float(os.environ.get("SLOW_ECHO_BUDGET_MS", "5000")),
)
CALL_S = float(os.environ.get("SLOW_ECHO_CALL_S", "0.2"))


@app.loader
def load() -> dict[str, Any]:
    time.sleep(float(os.environ.get("SLOW_ECHO_LOAD_S", "0")))
    return {"calls": 0}


@app.handler
def handle(model: dict[str, Any], jobs: list[spotq.Job]) -> list[Any]:
    model["calls"] += 1
    time.sleep(CALL_S)
    results: list[Any] = []
    for job in jobs:
        if job.input.get("reject"):
            results.append(spotq.JobFailed("asked to reject", retry=False))
        elif job.input.get("crash"):
            raise RuntimeError("asked to crash")
        else:
            size = len(job.data) if job.data is not None else None
            results.append({"echo": job.input, "batch": len(jobs), "file_bytes": size})
    return results


@app.stream_handler
def stream(model: dict[str, Any], audio: Any, final: bool) -> dict[str, Any]:
    time.sleep(0.02)
    return {"text": f"{'final' if final else 'partial'} {len(audio)} samples"}
