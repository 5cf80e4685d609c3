"""Celery's no-op task for the jobs benchmark (runs in bench/.venv-peers)."""

from __future__ import annotations

import os

from celery import Celery

app = Celery("bench", broker=os.environ["BENCH_BROKER_URL"], backend=os.environ["BENCH_REDIS_URL"])
app.conf.update(
    task_ignore_result=False,
    # Messages each worker child reserves ahead (Celery's default multiplier is 4).
    worker_prefetch_multiplier=int(os.environ.get("BENCH_CELERY_PREFETCH", "4")),
    result_expires=3600,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    # SQS transport: poll again 10 ms after a receive (the default waits 1 s between polls).
    broker_transport_options={
        "region": "us-east-1",
        "is_secure": False,
        "wait_time_seconds": 1,
        "polling_interval": 0.01,
    },
)


@app.task(name="noop")
def noop(i: int) -> dict[str, bool]:
    return {"ok": True}
