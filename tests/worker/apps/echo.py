"""Tiny apps for the worker tests. Behaviour per job comes from its input:
{"echo": X} returns {"echo": X, "attempt": N}; {"sleep_s": S} sleeps first; {"fail": "error"}
raises; {"fail": "permanent"} returns JobFailed(retry=False); {"fail_until": N} raises on attempts
before N."""

from __future__ import annotations

import os
import time
from typing import Any

import spotq
from spotq.app import JobFailed


def _load() -> dict[str, Any]:
    loaded_file = os.environ.get("SPOTQ_TEST_LOADED_FILE")  # set by tests that time the load
    if loaded_file:
        with open(loaded_file, "w") as loaded:
            loaded.write(str(time.time()))
    return {"pid": os.getpid()}


def _handle(model: dict[str, Any], jobs: list[spotq.Job]) -> list[Any]:
    results: list[Any] = []
    runs_file = os.environ.get("SPOTQ_TEST_RUNS_FILE")  # set by tests that count handler runs
    for job in jobs:
        if runs_file:
            with open(runs_file, "a") as runs:
                runs.write(job.id + "\n")
        time.sleep(float(job.input.get("sleep_s", 0)))
        fail = job.input.get("fail")
        if fail == "error":
            raise RuntimeError(f"boom on {job.id}")
        if fail == "permanent":
            results.append(JobFailed("bad input, do not retry", retry=False))
            continue
        if job.attempt < int(job.input.get("fail_until", 0)):
            raise RuntimeError(f"flaky attempt {job.attempt}")
        result = {"echo": job.input.get("echo"), "attempt": job.attempt, "pid": model["pid"]}
        if job.data is not None:
            result["data_len"] = len(job.data)
            result["filename"] = job.filename
        results.append(result)
    return results


echo = spotq.App(
    "echo",
    load=_load,
    handler=_handle,
    batch_size=5,
    visibility_timeout_s=30,
    max_receives=3,
    retry_backoff_s=0.2,
)
short_visibility = spotq.App(
    "echo-shortvis",
    load=_load,
    handler=_handle,
    batch_size=1,
    visibility_timeout_s=2,
    max_receives=2,
    retry_backoff_s=0.2,
)
tiny_memory = spotq.App(
    "echo-tinymem",
    load=_load,
    handler=_handle,
    memory_limit_bytes=1_000_000,
    memory_threshold=0.5,
)
slow_timeout = spotq.App(
    "echo-timeout",
    load=_load,
    handler=_handle,
    job_timeout_s=0.5,
    max_receives=3,
    retry_backoff_s=0.2,
)
one_at_a_time = spotq.App(
    "echo-one",
    load=_load,
    handler=_handle,
    batch_size=1,
    visibility_timeout_s=30,
    retry_backoff_s=0.2,
)
prefetched = spotq.App(
    "echo-prefetch",
    load=_load,
    handler=_handle,
    batch_size=1,
    prefetch=10,
    visibility_timeout_s=4,
    retry_backoff_s=0.2,
)
quick_then_stuck = spotq.App(
    "echo-inline",
    load=_load,
    handler=_handle,
    batch_size=1,
    prefetch=10,
    job_timeout_s=0.5,
    visibility_timeout_s=30,
    max_receives=3,
    retry_backoff_s=5,
)
quick_then_drained = spotq.App(
    "echo-inline-drain",
    load=_load,
    handler=_handle,
    batch_size=1,
    prefetch=10,
    visibility_timeout_s=30,
    retry_backoff_s=5,
)
