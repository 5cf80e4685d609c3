"""The fleet scales 0 → N → 0 on backlog; `spotq up` drains on SIGTERM without losing a job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from conftest import make_sqs_client
from spotq.api.client import JobsClient
from spotq.fleet.embedded import StackOptions
from spotq.fleet.local import FleetOptions, LocalFleet
from spotq.jobs import JobState
from spotq.sqs.process import SqsServerProcess
from spotq.sqs.server import SqsServerConfig
from spotq.storage.factory import open_job_store

from .conftest import ECHO_APP, wait_until, write_app


def test_fleet_scales_from_zero_to_n_and_back(
    tmp_path: Path, start_fleet: Callable[..., LocalFleet]
) -> None:
    fleet = start_fleet(write_app(tmp_path, ECHO_APP, sleep_s=0.4), max_workers=3, idle_s=1.0)
    scaler = fleet.autoscaler
    assert scaler is not None
    time.sleep(1.0)
    assert scaler.last is not None and len(scaler.pool.workers) == 0  # nothing queued: zero
    client = JobsClient(fleet.stack.api_url)
    client.submit_batch([{"input": {"i": i}} for i in range(12)])
    seen: list[int] = []

    def back_to_zero() -> bool:
        seen.append(len(scaler.pool.workers))
        return max(seen) > 1 and seen[-1] == 0

    wait_until(back_to_zero, 60, "scale out and back to zero")
    assert max(seen) == 3
    assert scaler.peak_workers == 3
    counts = fleet.stack.runtime.service.jobs.count_by_state("echo")  # type: ignore[union-attr]
    assert counts[JobState.SUCCEEDED] == 12
    snapshot = json.loads((fleet.stack.data_dir / "fleet.json").read_text())
    assert snapshot["peak_workers"] == 3


@pytest.mark.parametrize("stop", ["sigterm", "ctrl-c"])
def test_up_drains_in_flight_work_on_sigterm(tmp_path: Path, stop: str) -> None:
    # "ctrl-c": SIGINT to the whole process group, as a terminal sends it. The queue server (a
    # child in its own session) must stay up while the workers drain, then go with the stack.
    app = write_app(tmp_path, ECHO_APP)
    data = tmp_path / "data"
    command = [sys.executable, "-m", "spotq.cli", "up", str(app), "--port", "0",
               "--data-dir", str(data), "--max-workers", "1"]  # fmt: skip
    up = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        wait_until(lambda: (data / "api.json").exists(), 30, "spotq up to start")
        client = JobsClient(json.loads((data / "api.json").read_text())["url"])
        job_id = client.submit({"sleep_s": 2.0})["id"]
        wait_until(lambda: client.job(job_id)["state"] == "running", 30, "the job to start")
        servers = [c for c in psutil.Process(up.pid).children() if "sqs" in c.cmdline()]
        assert len(servers) == 1
        if stop == "sigterm":
            up.send_signal(signal.SIGTERM)
        else:
            os.killpg(up.pid, signal.SIGINT)
        _, stderr = up.communicate(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
    assert up.returncode == 0, stderr
    assert "draining" in stderr
    record = open_job_store(f"sqlite:///{data / 'jobs.db'}").get(job_id)
    assert record is not None
    if stop == "sigterm":
        assert record.state is JobState.SUCCEEDED
    else:
        # The terminal's SIGINT reaches the worker too, so the stack's SIGTERM is its second
        # signal: it releases the job instead of finishing it. Nothing is lost: the job is
        # queued again and its message is back in the (still running) queue server's store.
        assert record.state in (JobState.SUCCEEDED, JobState.QUEUED)
        if record.state is JobState.QUEUED:
            assert _visible_messages(data, "spotq-echo") == 1
    assert not (data / "api.json").exists()
    servers[0].wait(10)  # the queue server went with its stack
    status_files = list((data / "workers").glob("*.status.json"))
    assert status_files and all(
        json.loads(p.read_text())["state"] == "stopped" for p in status_files
    )


def test_up_refuses_a_public_bind_without_a_key(tmp_path: Path) -> None:
    app = write_app(tmp_path, ECHO_APP)
    command = [sys.executable, "-m", "spotq.cli", "up", str(app), "--host", "0.0.0.0",
               "--data-dir", str(tmp_path / "d")]  # fmt: skip
    env_without_key = {k: v for k, v in os.environ.items() if k != "SPOTQ_API_KEY"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env_without_key)
    assert done.returncode == 1
    assert "API key is required" in done.stderr


def test_wake_scales_out_to_the_backlog_without_waiting_for_the_next_tick(
    tmp_path: Path, start_fleet: Callable[..., LocalFleet]
) -> None:
    fleet = start_fleet(write_app(tmp_path, ECHO_APP, sleep_s=0.4), max_workers=2, interval_s=600)
    scaler = fleet.autoscaler
    assert scaler is not None
    wait_until(lambda: scaler.last is not None, 10, "the first tick")
    JobsClient(fleet.stack.api_url).submit_batch([{"input": {"i": i}} for i in range(4)])
    scaler.wake()  # the next regular tick is 10 minutes away
    wait_until(lambda: len(scaler.pool.workers) == 2, 30, "both workers started on wake")


def test_workers_for_the_expected_jobs_start_with_the_queue_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`spotq run` knows how many jobs it is about to submit: the workers the policy wants for
    them are spawned with the queue server, so they import and load the model while the stack
    comes up (they wait for stack.json), not after the first upload."""
    data = tmp_path / "data"
    spawned_at_server_wait: list[int] = []
    wait_ready = SqsServerProcess.wait_ready

    def waiting(server: SqsServerProcess) -> Any:
        spawned_at_server_wait.append(len(list((data / "workers").glob("worker-*.log"))))
        assert not (data / "stack.json").exists()
        return wait_ready(server)

    monkeypatch.setattr(SqsServerProcess, "wait_ready", waiting)
    data.mkdir()
    (data / "stack.json").write_text('{"stale": "from an earlier stack"}')
    options = FleetOptions(max_workers=2, idle_s=30.0, interval_s=600)
    fleet = LocalFleet(str(write_app(tmp_path, ECHO_APP)), StackOptions(data_dir=data), options)
    fleet.start(expected_jobs=3)  # three jobs of batch_size 1: three workers, capped at two
    try:
        assert spawned_at_server_wait == [2]
        assert fleet.autoscaler is not None and len(fleet.autoscaler.pool.workers) == 2
        job = JobsClient(fleet.stack.api_url).submit_batch([{"input": {"i": 1}}])[0]["job"]
        runtime = fleet.stack.runtime
        assert runtime is not None
        wait_until(lambda: (r := runtime.service.jobs.get(job["id"])) is not None
                   and r.state is JobState.SUCCEEDED, 60, "the job done")  # fmt: skip
    finally:
        fleet.stop()


def _visible_messages(data_dir: Path, queue_name: str) -> int:
    server = SqsServerProcess(SqsServerConfig(port=0, data_dir=data_dir), data_dir).start()
    try:
        sqs = make_sqs_client(server.endpoint_url)
        url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"])
    finally:
        server.stop()
