"""The worker runtime on ECS, against moto (SQS, S3, DynamoDB), a fake IMDS and a fake ECS agent:
a Spot notice drains the worker and releases its messages; task protection is on exactly while
the worker holds jobs."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from spotq.app import App, Job
from spotq.aws.ecs.integration import DrainRelay, EcsEnvironment, EcsSettings, detect, ecs_hooks
from spotq.jobs import JobMessage, JobRecord, JobState
from spotq.queues import QueueUrls, ensure_queues, make_sqs_client
from spotq.stack import StackConfig
from spotq.storage.base import JobStore
from spotq.storage.factory import open_blob_store, open_job_store
from spotq.storage.results import read_result
from spotq.worker.hooks import HookChain, Hooks, WorkerHooks
from spotq.worker.runtime import Worker, WorkerConfig

from .fakes import AgentState, fake_ecs_agent, fake_imds

VISIBILITY_S = 90


@dataclass
class Gate:
    """A handler that holds its batch until released, noting what it saw while holding it."""

    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    held: list[str] = field(default_factory=list)
    protected_while_handling: list[bool] = field(default_factory=list)
    agent: AgentState | None = None

    def handle(self, model: Any, jobs: list[Job]) -> list[dict[str, Any]]:
        self.held.extend(job.id for job in jobs)
        if self.agent is not None:
            self.protected_while_handling.append(self.agent.protected)
        self.started.set()
        self.release.wait(30)
        return [{"echo": job.input} for job in jobs]


class Recorder(Hooks):
    def __init__(self) -> None:
        self.ready = threading.Event()
        self.idle = threading.Event()
        self.batches = 0
        self.stop_reason: str | None = None

    def on_ready(self) -> None:
        self.ready.set()

    def on_batch_received(self, n: int, queue: str) -> None:
        self.batches += 1
        self.idle.clear()

    def on_idle(self) -> None:
        self.idle.set()

    def on_stop(self, reason: str, exit_code: int) -> None:
        self.stop_reason = reason


@dataclass
class Harness:
    stack: StackConfig
    app: App
    sqs: Any
    jobs: JobStore
    urls: QueueUrls

    def submit(self, payload: dict[str, Any]) -> str:
        job_id = uuid.uuid4().hex
        now_s = time.time()
        self.jobs.create(JobRecord(job_id, self.app.name, JobState.QUEUED, submitted_at_s=now_s))
        body = JobMessage(job_id, self.app.name, input=payload, submitted_at_s=now_s).encode()
        self.sqs.send_message(QueueUrl=self.urls.normal, MessageBody=body)
        return job_id

    def worker(self, hooks: Sequence[WorkerHooks]) -> Worker:
        return Worker(
            self.app,
            self.stack,
            sqs=self.sqs,
            blobs=open_blob_store(self.stack.blob_url),
            jobs=open_job_store(self.stack.jobs_url),
            config=WorkerConfig(grace_s=0.3, poll_wait_s=1),
            hooks=HookChain(hooks),
        )


@pytest.fixture
def gate() -> Iterator[Gate]:
    gate = Gate()
    yield gate
    gate.release.set()  # never leave a handler thread blocked


@pytest.fixture
def harness(aws_stack: StackConfig, gate: Gate) -> Harness:
    app = App("ecsdemo", handler=gate.handle, batch_size=2, visibility_timeout_s=VISIBILITY_S)
    sqs = make_sqs_client(aws_stack)
    urls = ensure_queues(sqs, aws_stack, app.options)
    return Harness(aws_stack, app, sqs, open_job_store(aws_stack.jobs_url), urls)


def start(worker: Worker) -> tuple[threading.Thread, list[int]]:
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(worker.run()), daemon=True)
    thread.start()
    return thread, codes


def wait_for(predicate: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_spot_notice_stops_receiving_and_releases_held_messages(
    harness: Harness, gate: Gate
) -> None:
    held_ids = {harness.submit({"n": i}) for i in range(2)}
    recorder = Recorder()
    with fake_imds() as (imds_url, imds):
        relay = DrainRelay()
        settings = EcsSettings(imds_url=imds_url, spot_interval_s=0.05, imds_watch_on_ec2=True)
        hooks = ecs_hooks(
            EcsEnvironment(launch_type="EC2"), harness.app.options, relay, settings=settings
        )
        worker = harness.worker([recorder, *hooks])
        relay.bind(worker.request_drain)
        thread, codes = start(worker)
        assert gate.started.wait(20), "the worker never started the batch"
        wait_for(lambda: set(gate.held) == held_ids)
        imds.instance_action = {"action": "terminate", "time": "2026-11-23T10:02:00Z"}
        late_id = harness.submit({"n": "late"})
        thread.join(20)
        assert not thread.is_alive() and codes == [0]
    assert recorder.stop_reason is not None
    assert recorder.stop_reason.startswith("spot-interruption")
    assert recorder.batches == 1  # nothing received after the notice
    # Released with visibility 0: a receive right now gets them all, plus the late job.
    reply = harness.sqs.receive_message(
        QueueUrl=harness.urls.normal, MaxNumberOfMessages=10, WaitTimeSeconds=0
    )
    received = {JobMessage.decode(m["Body"]).job_id for m in reply.get("Messages", [])}
    assert received == held_ids | {late_id}
    for job_id in held_ids:
        record = harness.jobs.get(job_id)
        assert record is not None and record.state == JobState.QUEUED
        assert record.last_error is not None and "interrupted" in record.last_error


def test_task_protection_is_on_exactly_while_busy(harness: Harness, gate: Gate) -> None:
    recorder = Recorder()
    with fake_ecs_agent(launch_type="FARGATE") as (environ, agent):
        gate.agent = agent
        env = detect(environ)
        assert env is not None
        relay = DrainRelay()
        hooks = ecs_hooks(env, harness.app.options, relay)
        assert [type(h).__name__ for h in hooks] == ["TaskProtectionHooks"]  # Fargate: no IMDS
        worker = harness.worker([recorder, *hooks])
        relay.bind(worker.request_drain)
        thread, codes = start(worker)
        assert recorder.ready.wait(20)
        time.sleep(1.5)  # at least one empty receive
        assert agent.puts == []  # idle from the start: never protected
        first = harness.submit({"n": 1})
        assert gate.started.wait(20)
        assert gate.protected_while_handling == [True]
        expires_minutes = agent.puts[0]["ExpiresInMinutes"]
        assert expires_minutes * 60 > VISIBILITY_S
        gate.release.set()
        wait_for(lambda: not agent.protected)
        assert agent.enabled_history() == [True, False]
        assert recorder.idle.is_set()
        second = harness.submit({"n": 2})
        wait_for(lambda: agent.enabled_history() == [True, False, True, False])
        worker.request_drain("test over")
        thread.join(20)
        assert not thread.is_alive() and codes == [0]
        assert agent.enabled_history() == [True, False, True, False]
    assert gate.protected_while_handling == [True, True]
    blobs = open_blob_store(harness.stack.blob_url)
    for job_id in (first, second):
        record = harness.jobs.get(job_id)
        assert record is not None and record.state == JobState.SUCCEEDED
        assert json.loads(read_result(harness.jobs, blobs, record))["echo"] is not None
