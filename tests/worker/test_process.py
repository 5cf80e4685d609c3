"""`spotq worker` as a real subprocess: logs, status file, idle exit, SIGTERM drain, bad input."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from spotq.jobs import JobState

from .conftest import APPS, SPOTQ, WorkerEnv, app_named, wait_for


def test_worker_process_end_to_end(env: WorkerEnv, tmp_path: Path) -> None:
    app = app_named("echo")
    for n in range(6):
        env.send(app, f"j{n}", {"echo": n})
    env.send(app, "poison", {"fail": "error"})
    status = tmp_path / "status.json"
    proc = env.spawn(app, f"{APPS}:echo", "--max-idle-s", "2", "--status-file", str(status))
    assert proc.wait(60) == 0
    for n in range(6):
        assert env.result(f"j{n}")["echo"] == n
        record = env.jobs.get(f"j{n}")
        assert record is not None and record.state is JobState.SUCCEEDED
    assert env.depth(app) == (0, 0)
    events = env.log_events()
    names = [e["event"] for e in events]
    assert names[:2] == ["starting", "ready"] and names[-1] == "stopped"
    assert events[-1]["reason"] == "idle" and events[-1]["exit_code"] == 0
    done = [e for e in events if e["event"] == "job_done"]
    assert sorted(e["job_id"] for e in done) == [f"j{n}" for n in range(6)]
    for event in done:
        assert {"queue_wait_s", "fetch_s", "handle_s", "store_s"} <= event.keys()
        assert event["pid"] == proc.pid and event["app"] == "echo"
    assert "received_batch" in names
    failed = [
        (e["job_id"], e["attempt"], e["outcome"]) for e in events if e["event"] == "job_failed"
    ]
    assert failed == [("poison", 1, "retry"), ("poison", 2, "retry"), ("poison", 3, "dead")]
    traces = [e["error"] for e in events if e["event"] == "error" and e["where"] == "handler"]
    assert len(traces) >= 3 and "Traceback" in traces[0] and "boom on poison" in traces[0]
    doc = json.loads(status.read_text())
    assert doc["state"] == "stopped" and doc["pid"] == proc.pid
    assert (doc["jobs_done"], doc["jobs_failed"]) == (6, 3)


def _wait_running(env: WorkerEnv, job_id: str) -> None:
    def running() -> bool:
        record = env.jobs.get(job_id)
        return record is not None and record.state is JobState.RUNNING

    wait_for(running, 30, f"{job_id} running")


def test_sigterm_finishes_in_flight_work_within_grace(env: WorkerEnv) -> None:
    app = app_named("one_at_a_time")
    env.send(app, "long", {"sleep_s": 2, "echo": "done"})
    proc = env.spawn(app, f"{APPS}:one_at_a_time", "--grace-s", "20")
    _wait_running(env, "long")
    env.send(app, "later", {"echo": "not taken"})
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    record = env.jobs.get("long")
    assert record is not None and record.state is JobState.SUCCEEDED
    assert env.jobs.get("later") is None  # not received after the signal
    assert env.depth(app) == (1, 0)
    names = [e["event"] for e in env.log_events()]
    assert names.index("draining") < names.index("job_done") < names.index("stopped")


def test_sigterm_past_grace_releases_the_job_at_once(env: WorkerEnv) -> None:
    app = app_named("one_at_a_time")
    env.send(app, "stuck", {"sleep_s": 60})
    proc = env.spawn(app, f"{APPS}:one_at_a_time", "--grace-s", "1")
    _wait_running(env, "stuck")
    signalled = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    assert time.monotonic() - signalled < 10
    # visibility 0: another consumer gets it immediately, not after the 30 s visibility timeout
    reply = env.sqs(app).receive_message(QueueUrl=env.queues(app).normal, WaitTimeSeconds=0)
    assert len(reply.get("Messages", [])) == 1
    record = env.jobs.get("stuck")
    assert record is not None and record.state is JobState.QUEUED
    assert record.last_error is not None and "interrupted" in record.last_error
    released = [e for e in env.log_events() if e.get("outcome") == "released"]
    assert [e["job_id"] for e in released] == ["stuck"]


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SPOTQ, "worker", *args], capture_output=True, text=True, timeout=60)


def test_bad_app_and_config_are_clear_errors(tmp_path: Path) -> None:
    missing = _run_cli(str(tmp_path / "nope.py"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad_json = _run_cli(f"{APPS}:echo", "--stack-config", "{not json")
    assert bad_json.returncode == 2 and "stack config" in bad_json.stderr
    wrong_app = _run_cli(
        f"{APPS}:echo", "--stack-config", '{"app": "other", "sqs_endpoint_url": null}'
    )
    assert wrong_app.returncode == 2 and "'other'" in wrong_app.stderr
    bad_url = _run_cli(f"{APPS}:echo", "--jobs-url", "postgres://x")
    assert bad_url.returncode == 2 and "jobs_url" in bad_url.stderr


def test_unreachable_queue_server_is_a_clear_error(tmp_path: Path) -> None:
    result = _run_cli(
        f"{APPS}:echo",
        "--sqs-endpoint-url",
        "http://127.0.0.1:9",
        "--blob-url",
        str(tmp_path / "b"),
        "--jobs-url",
        f"sqlite:///{tmp_path}/j.db",
    )
    assert result.returncode == 1 and "cannot set up queues" in result.stderr
    assert "Traceback" not in result.stderr
