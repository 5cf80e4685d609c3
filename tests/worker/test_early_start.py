"""A worker started before its stack exists (`--stack-wait-s`, what the local fleet does): it
loads the model at once, waits for stack.json, and never outlives its supervisor meanwhile."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from spotq.errors import ConfigError
from spotq.jobs import JobState
from spotq.storage.private import write_private
from spotq.worker.parent import EXIT_PARENT_GONE, ParentGone, wait_for_file

from .conftest import APPS, SPOTQ, WorkerEnv, app_named, wait_for


def test_wait_for_file_returns_once_the_file_exists(tmp_path: Path) -> None:
    path = tmp_path / "stack.json"
    timer = threading.Timer(0.3, lambda: write_private(path, b"{}"))
    timer.start()
    started = time.monotonic()
    wait_for_file(path, 10.0, None)
    assert 0.25 <= time.monotonic() - started < 5 and path.read_bytes() == b"{}"


def test_wait_for_file_gives_up_after_its_timeout(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"stack\.json did not appear within 0\.2 s"):
        wait_for_file(tmp_path / "stack.json", 0.2, None)


def test_wait_for_file_stops_when_the_supervisor_ends(tmp_path: Path) -> None:
    read_fd, write_fd = os.pipe()
    try:
        threading.Timer(0.2, os.close, (write_fd,)).start()  # what the kernel does at its exit
        started = time.monotonic()
        with pytest.raises(ParentGone):
            wait_for_file(tmp_path / "stack.json", 30.0, read_fd)
        assert time.monotonic() - started < 5
    finally:
        os.close(read_fd)


def _spawn(
    tmp_path: Path,
    stack_path: Path,
    *args: str,
    extra_env: dict[str, str] | None = None,
    pass_fds: tuple[int, ...] = (),
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "SPOTQ_TEST_LOADED_FILE": str(tmp_path / "loaded"),
        **(extra_env or {}),
    }
    with (tmp_path / "worker.log").open("wb") as log:
        return subprocess.Popen(
            [SPOTQ, "worker", f"{APPS}:echo", "--stack-config", str(stack_path), *args],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=env,
            pass_fds=pass_fds,
        )


def test_a_worker_loads_its_model_before_the_stack_exists_then_serves(
    env: WorkerEnv, tmp_path: Path
) -> None:
    app = app_named("echo")
    stack_path = tmp_path / "stack.json"
    proc = _spawn(tmp_path, stack_path, "--stack-wait-s", "60", "--max-idle-s", "2")
    try:
        wait_for(lambda: (tmp_path / "loaded").exists(), 30, "the model loaded")
        loaded_at_s = float((tmp_path / "loaded").read_text())
        assert proc.poll() is None  # waiting, not failed on the missing file
        env.send(app, "j1", {"echo": "hi"})
        write_private(stack_path, env.stack(app).to_json().encode())
        written_at_s = time.time()
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert loaded_at_s < written_at_s
    record = env.jobs.get("j1")
    assert record is not None and record.state is JobState.SUCCEEDED
    assert env.result("j1")["echo"] == "hi"
    log = (tmp_path / "worker.log").read_text()
    assert log.count('"event":"starting"') == 1 and '"event":"ready"' in log


def test_a_waiting_worker_exits_when_its_supervisor_ends(tmp_path: Path) -> None:
    read_fd, write_fd = os.pipe()
    try:
        proc = _spawn(
            tmp_path,
            tmp_path / "stack.json",
            "--stack-wait-s",
            "300",
            extra_env={"SPOTQ_PARENT_FD": str(read_fd)},
            pass_fds=(read_fd,),
        )
    finally:
        os.close(read_fd)
    wait_for(lambda: (tmp_path / "loaded").exists(), 30, "the model loaded")
    os.close(write_fd)
    assert proc.wait(10) == EXIT_PARENT_GONE


def test_a_stack_that_never_comes_is_a_clear_error(tmp_path: Path) -> None:
    proc = _spawn(tmp_path, tmp_path / "stack.json", "--stack-wait-s", "0.5")
    assert proc.wait(30) == 2
    assert "stack.json did not appear within 0.5 s" in (tmp_path / "worker.log").read_text()


def test_without_a_wait_a_missing_stack_file_fails_at_once(tmp_path: Path) -> None:
    proc = _spawn(tmp_path, tmp_path / "stack.json")
    assert proc.wait(30) == 2
    assert not (tmp_path / "loaded").exists()
    assert "cannot read" in (tmp_path / "worker.log").read_text()
