"""Fault drills with real processes (docs/reliability.md): workers killed while they start, the
queue server killed, `spotq up` killed, poison jobs mixed into batches. Nothing accepted is lost
and the stack heals itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from spotq.api.client import JobsClient
from spotq.fleet.local import LocalFleet
from spotq.fleet.workers import STARTING
from spotq.jobs import TERMINAL_STATES, JobState

from .conftest import ECHO_APP, records, wait_until, write_app

SLOW_LOAD_APP = """
import time
import spotq

app = spotq.App("slowload", retry_backoff_s=0)

@app.loader
def load():
    time.sleep(1.5)
    return "model"

@app.handler
def handle(model, jobs):
    return [{{"n": j.input["n"], "model": model}} for j in jobs]
"""

POISON_MIX_APP = """
import os
import time
import spotq

app = spotq.App("poisonmix", batch_size=4, max_receives=3, retry_backoff_s=0,
                visibility_timeout_s=3, job_timeout_s=1, memory_limit_bytes=600 * 1024 * 1024,
                memory_threshold=0.95)

@app.handler
def handle(model, jobs):
    for j in jobs:
        kind = j.input.get("poison")
        if kind == "exit":
            os._exit(1)
        if kind == "hang":
            time.sleep(120)
        if kind == "hog":
            hoard = []
            while True:  # without bound: the worker's memory limit stops it
                hoard.append(bytearray(16 * 1024 * 1024))
                time.sleep(0.01)
    return [{{"n": j.input["n"]}} for j in jobs]
"""


def _ready(fleet: LocalFleet) -> tuple[int, str]:
    reply = JobsClient(fleet.stack.api_url).request("GET", "/readyz")
    return reply.status, reply.body.decode()


def _all_final(fleet: LocalFleet, job_ids: list[str]) -> bool:
    return all(r.state in TERMINAL_STATES for r in records(fleet, job_ids))


def test_workers_killed_while_starting_three_times_then_all_jobs_finish(
    tmp_path: Path, start_fleet: Callable[..., LocalFleet]
) -> None:
    fleet = start_fleet(write_app(tmp_path, SLOW_LOAD_APP), max_workers=1)
    assert fleet.autoscaler is not None
    items = JobsClient(fleet.stack.api_url).submit_batch([{"input": {"n": n}} for n in range(5)])
    job_ids = [item["job"]["id"] for item in items]
    killed: set[int] = set()
    unready: list[str] = []
    deadline = time.monotonic() + 60
    while len(killed) < 3:
        assert time.monotonic() < deadline, f"only {len(killed)} workers were seen starting"
        for worker in list(fleet.autoscaler.pool.workers):
            if worker.process.pid not in killed and worker.state() == STARTING:
                os.kill(worker.process.pid, signal.SIGKILL)  # as the OOM killer would
                killed.add(worker.process.pid)
        status, body = _ready(fleet)
        if status == 503:
            unready.append(body)
        time.sleep(0.05)
    wait_until(lambda: _all_final(fleet, job_ids), 90, "the jobs to finish after the kills")
    assert [r.state for r in records(fleet, job_ids)] == [JobState.SUCCEEDED] * 5
    assert any("crash-looping" in body for body in unready), unready
    wait_until(lambda: _ready(fleet)[0] == 200, 10, "readiness to clear")
    assert fleet.autoscaler.failure is None


def test_a_killed_queue_server_comes_back_and_every_job_finishes(
    tmp_path: Path, start_fleet: Callable[..., LocalFleet]
) -> None:
    fleet = start_fleet(write_app(tmp_path, ECHO_APP, visibility_s=3, sleep_s=0.05))
    client = JobsClient(fleet.stack.api_url)
    items = client.submit_batch([{"input": {"n": n}} for n in range(40)])
    job_ids = [item["job"]["id"] for item in items]
    wait_until(
        lambda: sum(r.state is JobState.SUCCEEDED for r in records(fleet, job_ids)) >= 5,
        60, "some jobs to finish",
    )  # fmt: skip
    sqs = fleet.stack._sqs
    assert sqs is not None and fleet.stack.sqs_watch is not None
    url = sqs.endpoint_url
    os.kill(sqs._proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
    wait_until(lambda: fleet.stack.sqs_watch.restarts == 1, 30, "the queue server to restart")  # type: ignore[union-attr]
    assert sqs.endpoint_url == url
    later = client.submit_batch([{"input": {"n": n}} for n in range(40, 50)])
    job_ids += [item["job"]["id"] for item in later]
    wait_until(lambda: _all_final(fleet, job_ids), 120, "every job to finish")
    assert [r.state for r in records(fleet, job_ids)] == [JobState.SUCCEEDED] * 50
    wait_until(lambda: _ready(fleet)[0] == 200, 10, "readiness after the restart")
    assert client.request("GET", "/metrics").status == 200


def test_no_worker_outlives_a_killed_spotq_up(tmp_path: Path) -> None:
    app = write_app(tmp_path, ECHO_APP)
    data = tmp_path / "data"
    up = subprocess.Popen(
        [sys.executable, "-m", "spotq.cli", "up", str(app), "--min-workers", "2",
         "--max-workers", "2", "--port", "0", "--data-dir", str(data)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        pids = _worker_pids(data / "workers", 2, timeout_s=60)
        os.kill(up.pid, signal.SIGKILL)
        up.wait()
        time.sleep(5)
        alive = [pid for pid in pids if _running(pid)]
        assert alive == [], f"workers {alive} outlived the killed `spotq up` by 5 s"
    finally:
        if up.poll() is None:
            up.kill()


def test_poison_mixes_never_take_a_healthy_job_with_them(
    tmp_path: Path, start_fleet: Callable[..., LocalFleet]
) -> None:
    fleet = start_fleet(write_app(tmp_path, POISON_MIX_APP), max_workers=2)
    client = JobsClient(fleet.stack.api_url)
    for round_number in range(3):
        inputs = []
        for kind in ("exit", "hog", "hang"):  # one poison job per batch of four
            inputs.append({"n": f"{round_number}-{kind}", "poison": kind})
            inputs += [{"n": f"{round_number}-{kind}-{m}"} for m in range(3)]
        items = client.submit_batch([{"input": i} for i in inputs])
        job_ids = [item["job"]["id"] for item in items]
        try:
            wait_until(lambda ids=job_ids: _all_final(fleet, ids), 180, f"round {round_number}")
        except AssertionError:
            for r in records(fleet, job_ids):
                print(r.job_id, r.state, r.attempts, r.last_error)
            assert fleet.autoscaler is not None
            print(fleet.autoscaler.last, fleet.autoscaler.health())
            for w in fleet.autoscaler.pool.finished[-6:] + fleet.autoscaler.pool.workers:
                print(w.number, w.process.returncode, w.log_tail(1500))
            raise
        final = records(fleet, job_ids)
        healthy = [r for r, i in zip(final, inputs, strict=True) if "poison" not in i]
        poison = [r for r, i in zip(final, inputs, strict=True) if "poison" in i]
        assert [r.state for r in healthy] == [JobState.SUCCEEDED] * 9, [
            (r.state, r.last_error) for r in healthy
        ]
        assert [r.state for r in poison] == [JobState.DEAD] * 3
    assert fleet.autoscaler is not None and fleet.autoscaler.failure is None


def _worker_pids(run_dir: Path, count: int, timeout_s: float) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pids = []
        for path in run_dir.glob("worker-*.status.json"):
            try:
                status = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if status.get("state") in ("idle", "busy"):
                pids.append(int(status["pid"]))
        if len(pids) >= count:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"{count} workers never became ready")


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return not stat.split(") ")[1].startswith("Z")  # a zombie has exited
