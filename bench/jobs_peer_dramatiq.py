"""Dramatiq's no-op actor for the jobs benchmark (runs in bench/.venv-peers)."""

from __future__ import annotations

import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.results import Results
from dramatiq.results.backends import RedisBackend

broker = RedisBroker(url=os.environ["BENCH_REDIS_URL"])
broker.add_middleware(Results(backend=RedisBackend(url=os.environ["BENCH_REDIS_URL"])))
dramatiq.set_broker(broker)


@dramatiq.actor(store_results=True, max_retries=0)
def noop(i: int) -> dict[str, bool]:
    return {"ok": True}
