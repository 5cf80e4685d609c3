"""A worker started with $SPOTQ_PARENT_FD ends when its supervisor does, however it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from spotq.worker.parent import EXIT_PARENT_GONE, parent_fd, watch_parent


def test_parent_fd_is_read_only_when_it_names_an_open_descriptor() -> None:
    read_fd, write_fd = os.pipe()
    try:
        assert parent_fd({"SPOTQ_PARENT_FD": str(read_fd)}) == read_fd
        assert parent_fd({"SPOTQ_PARENT_FD": "x"}) is None
        assert parent_fd({}) is None
    finally:
        os.close(write_fd)
        os.close(read_fd)
    assert parent_fd({"SPOTQ_PARENT_FD": str(read_fd)}) is None  # closed now


def test_end_of_file_calls_on_gone_then_exits_after_the_grace() -> None:
    read_fd, write_fd = os.pipe()
    gone = threading.Event()
    exits: list[int] = []
    watch_parent(read_fd, gone.set, hard_exit_s=0.2, exit_fn=exits.append)
    time.sleep(0.2)
    assert not gone.is_set()
    os.close(write_fd)  # what the kernel does when the supervisor dies
    assert gone.wait(5)
    deadline = time.monotonic() + 5
    while not exits and time.monotonic() < deadline:
        time.sleep(0.02)
    assert exits == [EXIT_PARENT_GONE]
    os.close(read_fd)


SUPERVISOR = """
import os, subprocess, sys, time
read_fd, write_fd = os.pipe()
child = subprocess.Popen(
    [sys.executable, "-c", {child!r}],
    env={{**os.environ, "SPOTQ_PARENT_FD": str(read_fd)}},
    pass_fds=(read_fd,),
)
print(child.pid, flush=True)
time.sleep(600)
"""

CHILD = """
import os, signal, time
from spotq.worker.parent import parent_fd, watch_parent
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a worker busy draining ignores nothing; be harsh
watch_parent(parent_fd(os.environ), lambda: None, hard_exit_s=0.5)
time.sleep(600)
"""


def test_a_child_outlives_no_kill_9_of_its_supervisor(tmp_path: Path) -> None:
    script = SUPERVISOR.format(child=CHILD)
    supervisor = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert supervisor.stdout is not None
    child_pid = int(supervisor.stdout.readline())
    os.kill(supervisor.pid, signal.SIGKILL)
    supervisor.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            return  # gone (reaped by init once orphaned)
        if _is_zombie(child_pid):
            return
        time.sleep(0.05)
    os.kill(child_pid, signal.SIGKILL)
    raise AssertionError("the child outlived its killed supervisor")


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return True
