"""What the worker's bookkeeping costs: no-op jobs drained from a pre-filled queue by one spotq
worker (decode, job state in SQLite, result blob, delete) beside a bare boto3 consumer (receive 10,
delete batch), each against a fresh embedded SQS server in its own process (as under `spotq up`),
in one run. Prints jobs/s and the ratio.

    .venv/bin/python bench/worker_overhead.py [JOBS]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import spotq
from spotq.jobs import JobMessage, JobRecord, JobState
from spotq.queues import QueueUrls, ensure_queues, make_sqs_client
from spotq.stack import StackConfig
from spotq.storage.factory import open_blob_store, open_job_store
from spotq.worker.runtime import Worker, WorkerConfig

APP = spotq.App("noop", batch_size=10, handler=lambda model, jobs: [{"ok": True}] * len(jobs))


def _fill(sqs: Any, urls: QueueUrls, stack: StackConfig, jobs: int) -> None:
    store = open_job_store(stack.jobs_url)
    for start in range(0, jobs, 10):
        entries = []
        for i in range(start, min(jobs, start + 10)):
            now_s = time.time()
            store.create(JobRecord(f"j{i}", "noop", JobState.QUEUED, submitted_at_s=now_s))
            body = JobMessage(f"j{i}", "noop", {"i": i}, submitted_at_s=now_s).encode()
            entries.append({"Id": str(i - start), "MessageBody": body})
        sqs.send_message_batch(QueueUrl=urls.normal, Entries=entries)


def _bare(sqs: Any, url: str, jobs: int) -> None:
    done = 0
    while done < jobs:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        batch = messages.get("Messages", [])
        if batch:
            entries = [
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(batch)
            ]
            sqs.delete_message_batch(QueueUrl=url, Entries=entries)
            done += len(batch)


_SERVER = """
import sys, time
from pathlib import Path
from spotq.sqs.server import SqsServerConfig, start_server
server = start_server(SqsServerConfig(port=0, data_dir=Path(sys.argv[1])))
print(server.endpoint_url, flush=True)
time.sleep(3600)
"""


def _start_server(data_dir: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", _SERVER, str(data_dir)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def run(side: str, jobs: int) -> float:
    with tempfile.TemporaryDirectory(prefix="spotq-bench-") as tmp:
        server = _start_server(Path(tmp) / "sqs")
        assert server.stdout is not None
        stack = StackConfig(
            "noop",
            server.stdout.readline().strip(),
            blob_url=f"{tmp}/blobs",
            jobs_url=f"sqlite:///{tmp}/jobs.db",
        )
        sqs = make_sqs_client(stack)
        urls = ensure_queues(sqs, stack, APP.options)
        _fill(sqs, urls, stack, jobs)
        started = time.perf_counter()
        if side == "bare":
            _bare(sqs, urls.normal, jobs)
        else:
            worker = Worker(
                APP,
                stack,
                sqs=sqs,
                blobs=open_blob_store(stack.blob_url),
                jobs=open_job_store(stack.jobs_url),
                config=WorkerConfig(max_idle_s=0, poll_wait_s=0),
            )
            worker.run()  # exits on the first empty receive: the queue is drained
            assert open_job_store(stack.jobs_url).count_by_state("noop")[JobState.SUCCEEDED] == jobs
        elapsed = time.perf_counter() - started
        server.kill()
        server.wait()
    return jobs / elapsed


def main() -> None:
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    bare = run("bare", jobs)
    worker = run("spotq", jobs)
    print(f"{jobs} no-op jobs, one consumer process, the embedded SQS server in another")
    print(f"  bare boto3 receive+delete : {bare:8.0f} jobs/s")
    print(f"  spotq worker              : {worker:8.0f} jobs/s   ratio {worker / bare:.2f}")


if __name__ == "__main__":
    main()
