"""Worker test harness: the real SQS server, a per-test blob dir and SQLite job store, and the
worker either in a thread (for loop behaviour) or as a `spotq worker` subprocess (for signals)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from spotq.app import App, load_app
from spotq.jobs import JobMessage
from spotq.queues import QueueUrls, ensure_queues, make_sqs_client
from spotq.sqs.server import RunningSqsServer
from spotq.stack import StackConfig
from spotq.storage.factory import open_blob_store, open_job_store
from spotq.storage.local import LocalBlobStore
from spotq.storage.results import read_result
from spotq.storage.sqlite_jobs import SqliteJobStore
from spotq.worker.hooks import Hooks, JobTimings
from spotq.worker.runtime import Worker, WorkerConfig

APPS = Path(__file__).parent / "apps" / "echo.py"
SPOTQ = str(Path(sys.executable).parent / "spotq")


def app_named(attr: str) -> App:
    return load_app(f"{APPS}:{attr}")


class Recorder(Hooks):
    """Records lifecycle events for assertions."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.ready = threading.Event()

    def on_ready(self) -> None:
        self.events.append(("ready", None))
        self.ready.set()

    def on_job_done(self, job_id: str, attempt: int, timings: JobTimings) -> None:
        self.events.append(("done", (job_id, attempt)))

    def on_job_failed(self, job_id: str, attempt: int, error: str, outcome: str) -> None:
        self.events.append(("failed", (job_id, attempt, outcome)))

    def on_bad_message(self, message_id: str, error: str) -> None:
        self.events.append(("bad", error))

    def on_memory(self, paused: bool, rss_bytes: int, limit_bytes: int) -> None:
        self.events.append(("memory", paused))

    def named(self, name: str) -> list[Any]:
        return [value for event, value in list(self.events) if event == name]


@dataclass
class RunningWorker:
    worker: Worker
    recorder: Recorder
    thread: threading.Thread
    exit_code: list[int] = field(default_factory=list)
    hard_exits: list[int] = field(default_factory=list)  # the inline watchdog's, not os._exit

    def stop(self, timeout_s: float = 30.0) -> int:
        self.worker.request_drain("test")
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), "worker did not stop"
        return self.exit_code[0]


class WorkerEnv:
    def __init__(self, server: RunningSqsServer, tmp_path: Path) -> None:
        self.server = server
        self.tmp_path = tmp_path
        self.blob_dir = tmp_path / "blobs"
        self.jobs_url = f"sqlite:///{tmp_path}/jobs.db"
        self.blobs = LocalBlobStore(self.blob_dir)
        self.jobs = SqliteJobStore(tmp_path / "jobs.db")
        self._running: list[RunningWorker] = []
        self._procs: list[subprocess.Popen[bytes]] = []

    def result(self, job_id: str) -> Any:
        """A succeeded job's result JSON, decoded, wherever it is kept."""
        record = self.jobs.get(job_id)
        assert record is not None, f"no job {job_id}"
        return json.loads(read_result(self.jobs, self.blobs, record))

    def stack(self, app: App) -> StackConfig:
        return StackConfig(
            app=app.name,
            sqs_endpoint_url=self.server.endpoint_url,
            blob_url=str(self.blob_dir),
            jobs_url=self.jobs_url,
        )

    def sqs(self, app: App) -> Any:
        return make_sqs_client(self.stack(app))

    def queues(self, app: App) -> QueueUrls:
        return ensure_queues(self.sqs(app), self.stack(app), app.options)

    def send(
        self,
        app: App,
        job_id: str,
        job_input: dict[str, Any] | None = None,
        *,
        high: bool = False,
        **fields: Any,
    ) -> None:
        urls = self.queues(app)
        message = JobMessage(
            job_id=job_id, app=app.name, input=job_input, submitted_at_s=time.time(), **fields
        )
        self.sqs(app).send_message(
            QueueUrl=urls.high if high else urls.normal, MessageBody=message.encode()
        )

    def depth(self, app: App, which: str = "normal") -> tuple[int, int]:
        url = getattr(self.queues(app), which)
        attrs = self.sqs(app).get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
        attrs = attrs["Attributes"]
        return (
            int(attrs["ApproximateNumberOfMessages"]),
            int(attrs["ApproximateNumberOfMessagesNotVisible"]),
        )

    def start(self, app: App, config: WorkerConfig | None = None, **kwargs: Any) -> RunningWorker:
        recorder = Recorder()
        stack = self.stack(app)
        hard_exits: list[int] = []
        kwargs.setdefault("hard_exit", hard_exits.append)  # never os._exit the test process
        worker = Worker(
            app,
            stack,
            sqs=make_sqs_client(stack),
            blobs=open_blob_store(stack.blob_url),
            jobs=open_job_store(stack.jobs_url),
            config=config or WorkerConfig(grace_s=5, poll_wait_s=1),
            hooks=recorder,
            **kwargs,
        )
        running = RunningWorker(worker, recorder, threading.Thread(target=lambda: None))
        running.hard_exits = hard_exits
        running.thread = threading.Thread(target=lambda: running.exit_code.append(worker.run()))
        running.thread.start()
        self._running.append(running)
        assert recorder.ready.wait(30), "worker never became ready"
        return running

    def spawn(self, app: App, ref: str, *args: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        with open(self.tmp_path / f"worker-{len(self._procs)}.log", "wb") as log:
            proc = subprocess.Popen(
                [SPOTQ, "worker", ref, "--stack-config", self.stack(app).to_json(), *args],
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=env,
            )
        self._procs.append(proc)
        return proc

    def log_events(self, index: int = 0) -> list[dict[str, Any]]:
        text = (self.tmp_path / f"worker-{index}.log").read_text()
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def close(self) -> None:
        for running in self._running:
            if running.thread.is_alive():
                running.stop()
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture
def env(sqs_server: RunningSqsServer, tmp_path: Path) -> Iterator[WorkerEnv]:
    worker_env = WorkerEnv(sqs_server, tmp_path)
    try:
        yield worker_env
    finally:
        worker_env.close()


def wait_for(predicate: Callable[[], Any], timeout_s: float = 20.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or predicate}")
