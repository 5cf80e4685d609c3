"""The peers of the jobs benchmark, run inside bench/.venv-peers: one producer enqueues N no-op
jobs, two worker processes run them, results are stored in Redis; prints one JSON line with the
jobs per second from the first enqueue to the last result stored.

    python jobs_peers.py celery|celery-sqs|rq|dramatiq --jobs N --redis URL [--sqs URL]
        [--threads T] [--prefetch P]

--threads: Dramatiq's worker threads per process (its default 8). --prefetch: Dramatiq's messages
prefetched per process (`dramatiq_queue_prefetch`; its default 2 × threads), Celery's
`worker_prefetch_multiplier` (its default 4). Omitted, each peer runs at its own default.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from machine_cpu import Timed, timed

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def _spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, cwd=HERE, env={**os.environ, **env, "PYTHONPATH": str(HERE)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _wait(done: Callable[[], int], jobs: int, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while done() < jobs:
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {done()} of {jobs} results")
        time.sleep(0.02)


def _warm(done: Callable[[], int], send: Callable[[int], None], workers: int) -> None:
    """Wait until the workers answer, so start-up is not timed (as for spotq)."""
    for i in range(workers * 2):
        send(-1 - i)
    _wait(done, workers * 2, timeout_s=120)


def _rate(done: Callable[[], int], send: Callable[[int], None], jobs: int, workers: int) -> Timed:
    """Warm the workers up, then time `jobs` sends until all are done (wall and machine CPU)."""
    _warm(done, send, workers)
    base = done()

    def work() -> None:
        for i in range(jobs):
            send(i)
        _wait(lambda: done() - base, jobs)

    return timed(jobs, work)


def run_celery(jobs: int, workers: int, env: dict[str, str], redis_url: str) -> Timed:
    import redis

    os.environ.update(env)  # the producer's Celery app reads the broker URL from it
    from jobs_peer_celery import noop  # type: ignore[import-not-found]

    r = redis.Redis.from_url(redis_url)
    worker = _spawn([str(BIN / "celery"), "-A", "jobs_peer_celery", "worker", "-c",
                     str(workers), "--loglevel", "WARNING"], env)  # fmt: skip
    try:
        return _rate(lambda: len(r.keys("celery-task-meta-*")), noop.delay, jobs, workers)
    finally:
        worker.terminate()
        worker.wait(30)


def run_rq(jobs: int, workers: int, env: dict[str, str], redis_url: str) -> Timed:
    import redis
    from rq import Queue
    from rq.registry import FinishedJobRegistry

    r = redis.Redis.from_url(redis_url)
    queue = Queue("bench", connection=r)
    procs = [_spawn([str(BIN / "rq"), "worker", "bench", "--url", redis_url, "-q"], env)
             for _ in range(workers)]  # fmt: skip
    try:
        registry = FinishedJobRegistry("bench", connection=r)
        return _rate(
            lambda: registry.count,
            lambda i: queue.enqueue("jobs_peer_rq.noop", i),
            jobs,
            workers,
        )
    finally:
        for p in procs:
            p.terminate()
            p.wait(30)


def run_dramatiq(jobs: int, workers: int, env: dict[str, str], redis_url: str) -> Timed:
    import redis

    os.environ.update(env)
    from jobs_peer_dramatiq import noop  # type: ignore[import-not-found]

    r = redis.Redis.from_url(redis_url)
    command = [str(BIN / "dramatiq"), "jobs_peer_dramatiq", "--processes", str(workers)]
    if "BENCH_THREADS" in env:
        command += ["--threads", env["BENCH_THREADS"]]
    worker = _spawn(command, env)
    try:
        # Dramatiq 2 stores each result under a bare 32-hex-digit key (a hash of the message).
        return _rate(lambda: len(r.keys("?" * 32)), noop.send, jobs, workers)
    finally:
        worker.terminate()
        worker.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("peer", choices=["celery", "celery-sqs", "rq", "dramatiq"])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--sqs", default=None)
    parser.add_argument("--threads", type=int, default=None, help="Dramatiq threads per process")
    parser.add_argument("--prefetch", type=int, default=None, help="see the module docstring")
    args = parser.parse_args()
    env = {"BENCH_REDIS_URL": args.redis, "BENCH_BROKER_URL": args.redis}
    if args.threads is not None:
        env["BENCH_THREADS"] = str(args.threads)
    if args.prefetch is not None:
        env["dramatiq_queue_prefetch"] = str(args.prefetch)  # read by dramatiq.worker
        env["BENCH_CELERY_PREFETCH"] = str(args.prefetch)  # read by jobs_peer_celery
    if args.peer == "celery-sqs":
        if not args.sqs:
            raise SystemExit("celery-sqs needs --sqs http://HOST:PORT")
        env["BENCH_BROKER_URL"] = "sqs://spotq:spotq@" + args.sqs.split("://", 1)[1]
    runner = {"celery": run_celery, "celery-sqs": run_celery, "rq": run_rq,
              "dramatiq": run_dramatiq}[args.peer]  # fmt: skip
    run = runner(args.jobs, args.workers, env, args.redis)
    print(json.dumps({"peer": args.peer, "jobs": args.jobs, **run._asdict()}))


if __name__ == "__main__":
    main()
