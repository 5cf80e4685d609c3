"""The container health check command, run as ECS would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spotq.aws.health import check


def run_health(path: Path, *extra: str, env: dict[str, str] | None = None) -> int:
    args = [sys.executable, "-m", "spotq.aws.health", *extra]
    if env is None:
        args += ["--status-file", str(path)]
    return subprocess.run(args, capture_output=True, env=env, timeout=30).returncode


def write_status(path: Path, state: str, pid: int, updated_s: float | None = None) -> None:
    doc = {"state": state, "pid": pid, "updated_at_s": updated_s or time.time()}
    path.write_text(json.dumps({**doc, "jobs_done": 0, "jobs_failed": 0}))


@pytest.mark.parametrize("state", ["starting", "idle", "busy", "draining"])
def test_live_states_of_a_live_process_are_healthy(tmp_path: Path, state: str) -> None:
    status = tmp_path / "status.json"
    write_status(status, state, os.getpid())
    assert run_health(status) == 0


def test_stopped_missing_or_garbled_is_unhealthy(tmp_path: Path) -> None:
    status = tmp_path / "status.json"
    assert run_health(status) == 1
    status.write_text("{not json")
    assert run_health(status) == 1
    write_status(status, "stopped", os.getpid())
    assert run_health(status) == 1


def test_a_dead_worker_process_is_unhealthy(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    status = tmp_path / "status.json"
    write_status(status, "busy", child.pid)
    assert run_health(status) == 1


def test_starting_too_long_is_unhealthy(tmp_path: Path) -> None:
    status = tmp_path / "status.json"
    write_status(status, "starting", os.getpid(), updated_s=1000.0)
    problem = check(status, now_s=1000.0 + 901, max_starting_s=900)
    assert problem is not None and "starting" in problem
    assert check(status, now_s=1000.0 + 899, max_starting_s=900) is None


def test_status_file_comes_from_the_environment(tmp_path: Path) -> None:
    status = tmp_path / "elsewhere.json"
    write_status(status, "idle", os.getpid())
    env = {**os.environ, "SPOTQ_STATUS_FILE": str(status)}
    assert run_health(status, env=env) == 0
