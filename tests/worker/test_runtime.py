"""The worker loop against the real SQS server, with the worker in a thread."""

from __future__ import annotations

import json
import time

from spotq.app import App
from spotq.jobs import JobState
from spotq.storage.base import result_key
from spotq.storage.results import INLINE_RESULT_MAX_BYTES
from spotq.worker.memory import MemoryGuard
from spotq.worker.runtime import EXIT_HANDLER_TIMEOUT, WorkerConfig

from .conftest import WorkerEnv, app_named, wait_for


def _state(env: WorkerEnv, job_id: str) -> JobState | None:
    record = env.jobs.get(job_id)
    return record.state if record else None


def test_jobs_succeed_with_results_stored_and_messages_deleted(env: WorkerEnv) -> None:
    app = app_named("echo")
    for n in range(7):
        env.send(app, f"j{n}", {"echo": n})
    env.blobs.put("inputs/big", json.dumps({"echo": "claim-checked"}).encode())
    env.send(app, "big", None, input_ref="inputs/big")
    env.blobs.put("inputs/up", b"\x00" * 1234)
    env.send(app, "up", {"echo": "upload"}, input_ref="inputs/up", filename="a.wav")
    running = env.start(app)
    wait_for(lambda: len(running.recorder.named("done")) == 9, what="9 jobs done")
    assert running.stop() == 0
    for n in range(7):
        result = env.result(f"j{n}")
        assert result["echo"] == n and result["attempt"] == 1
        record = env.jobs.get(f"j{n}")
        assert record is not None and record.state is JobState.SUCCEEDED
        # Small results live in the job record: no file per job.
        assert record.attempts == 1 and record.result_ref is None
        assert not env.blobs.exists(result_key(f"j{n}"))
    assert env.result("big")["echo"] == "claim-checked"
    upload = env.result("up")
    assert upload["data_len"] == 1234 and upload["filename"] == "a.wav"
    assert env.depth(app) == (0, 0)


def test_a_large_result_goes_to_the_blob_store(env: WorkerEnv) -> None:
    app = app_named("echo")
    text = "x" * (INLINE_RESULT_MAX_BYTES + 1)
    env.send(app, "large", {"echo": text})
    env.send(app, "small", {"echo": "y"})
    running = env.start(app)
    wait_for(lambda: len(running.recorder.named("done")) == 2, what="2 jobs done")
    assert running.stop() == 0
    large, small = env.jobs.get("large"), env.jobs.get("small")
    assert large is not None and large.result_ref == result_key("large")
    assert json.loads(env.blobs.get(result_key("large")))["echo"] == text
    assert env.result("large")["echo"] == text
    assert small is not None and small.result_ref is None and env.result("small")["echo"] == "y"


def test_errors_retry_with_backoff_then_dead_after_max_receives(env: WorkerEnv) -> None:
    app = app_named("echo")  # max_receives=3, retry_backoff_s=0.2 (1 s visibility, rounded up)
    env.send(app, "poison", {"fail": "error"})
    env.send(app, "flaky", {"fail_until": 2, "echo": "ok"})
    env.sqs(app).send_message(QueueUrl=env.queues(app).normal, MessageBody="not a spotq job")
    running = env.start(app)
    wait_for(lambda: _state(env, "poison") is JobState.DEAD, what="poison dead")
    wait_for(lambda: env.depth(app, "dlq")[0] == 2, what="poison + bad message in the DLQ")
    running.stop()
    poison = env.jobs.get("poison")
    assert poison is not None and poison.attempts == 3
    assert poison.last_error == "RuntimeError: boom on poison"
    failures = [f for f in running.recorder.named("failed") if f[0] == "poison"]
    assert failures == [("poison", 1, "retry"), ("poison", 2, "retry"), ("poison", 3, "dead")]
    flaky = env.jobs.get("flaky")
    assert flaky is not None and flaky.state is JobState.SUCCEEDED and flaky.attempts == 2
    assert flaky.last_error == "RuntimeError: flaky attempt 1"
    assert len(running.recorder.named("bad")) == 3
    dlq_bodies = {
        m["Body"]
        for m in env.sqs(app).receive_message(QueueUrl=env.queues(app).dlq, MaxNumberOfMessages=10)[
            "Messages"
        ]
    }
    assert "not a spotq job" in dlq_bodies and any('"poison"' in b for b in dlq_bodies)


def test_backoff_hides_a_failed_job(env: WorkerEnv) -> None:
    app = App("echo-backoff", handler=app_named("echo").handle_fn, retry_backoff_s=3)
    env.send(app, "poison", {"fail": "error"})
    running = env.start(app)
    wait_for(lambda: running.recorder.named("failed"), what="first failure")
    time.sleep(1.5)
    assert env.depth(app) == (0, 1)  # hidden for the 3 s backoff
    assert len(running.recorder.named("failed")) == 1
    running.stop()


def test_job_failed_without_retry_fails_once_and_spares_batch_mates(env: WorkerEnv) -> None:
    app = app_named("echo")
    env.send(app, "perm", {"fail": "permanent"})
    env.send(app, "poison", {"fail": "error"})
    env.send(app, "fine", {"echo": 1})
    running = env.start(app)
    wait_for(lambda: _state(env, "perm") is JobState.FAILED, what="perm failed")
    wait_for(lambda: _state(env, "fine") is JobState.SUCCEEDED, what="fine succeeded")
    running.stop()
    perm = env.jobs.get("perm")
    assert perm is not None and perm.attempts == 1
    assert perm.last_error == "bad input, do not retry"
    fine = env.jobs.get("fine")
    assert fine is not None and fine.attempts == 1  # the poison job in its batch did not fail it
    assert env.depth(app, "dlq") == (0, 0)


def test_high_priority_is_served_first(env: WorkerEnv) -> None:
    app = app_named("one_at_a_time")
    for n in range(4):
        env.send(app, f"normal{n}", {"echo": n})
    env.send(app, "urgent", {"echo": "!"}, high=True)
    running = env.start(app)
    wait_for(lambda: len(running.recorder.named("done")) == 5, what="5 jobs done")
    running.stop()
    assert running.recorder.named("done")[0] == ("urgent", 1)


def test_heartbeat_keeps_a_long_job_from_being_delivered_twice(env: WorkerEnv) -> None:
    app = app_named("short_visibility")  # visibility 2 s, job takes 5 s
    env.send(app, "long", {"sleep_s": 5, "echo": "slow"})
    running = env.start(app)
    wait_for(lambda: _state(env, "long") is JobState.RUNNING, what="job running")
    sqs = env.sqs(app)
    stolen = []
    while _state(env, "long") is JobState.RUNNING:
        reply = sqs.receive_message(QueueUrl=env.queues(app).normal, WaitTimeSeconds=1)
        stolen.extend(reply.get("Messages", []))
    running.stop()
    assert stolen == []
    record = env.jobs.get("long")
    assert record is not None and record.state is JobState.SUCCEEDED and record.attempts == 1


def test_memory_guard_stops_receiving_while_over_the_threshold(env: WorkerEnv) -> None:
    app = app_named("tiny_memory")  # limit 1 MB, threshold 0.5: any real process is over
    env.send(app, "j1", {"echo": 1})
    running = env.start(app)
    time.sleep(2.0)
    assert env.depth(app) == (1, 0) and env.jobs.get("j1") is None
    assert running.recorder.named("memory") == [True]
    running.stop()


def test_memory_guard_resumes_below_the_threshold(env: WorkerEnv) -> None:
    app = app_named("echo")
    rss = [900]
    guard = MemoryGuard(0.8, 1000, rss_fn=lambda: rss[0])
    env.send(app, "j1", {"echo": 1})
    running = env.start(app, memory_guard=guard)
    time.sleep(1.0)
    assert env.jobs.get("j1") is None
    rss[0] = 100
    wait_for(lambda: _state(env, "j1") is JobState.SUCCEEDED, what="job done after resume")
    running.stop()
    assert running.recorder.named("memory") == [True, False]


def test_handler_over_its_timeout_fails_the_job_and_ends_the_worker(env: WorkerEnv) -> None:
    app = app_named("slow_timeout")  # job_timeout_s=0.5
    env.send(app, "slow", {"sleep_s": 3})
    running = env.start(app, config=WorkerConfig(grace_s=5, poll_wait_s=1))
    running.thread.join(20)
    assert running.exit_code == [EXIT_HANDLER_TIMEOUT]
    record = env.jobs.get("slow")
    assert record is not None and record.state is JobState.QUEUED
    assert record.last_error == "timed out: handler ran over 0.5 s"


def test_max_idle_zero_exits_on_the_first_empty_receive(env: WorkerEnv) -> None:
    app = app_named("echo")
    env.send(app, "j1", {"echo": 1})
    running = env.start(app, config=WorkerConfig(max_idle_s=0, poll_wait_s=1))
    running.thread.join(20)
    assert running.exit_code == [0]
    assert _state(env, "j1") is JobState.SUCCEEDED
