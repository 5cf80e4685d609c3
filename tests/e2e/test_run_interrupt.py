"""Ctrl-C during `spotq run` says what finished and what was left, keeps the finished results, and
`--skip-done` resumes with only the rest."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from .conftest import ECHO_APP, write_app

N_INPUTS = 8


def _succeeded(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT count(*) FROM jobs WHERE state = 'succeeded'").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0])


def test_ctrl_c_reports_progress_and_skip_done_resumes(tmp_path: Path) -> None:
    app = write_app(tmp_path, ECHO_APP, sleep_s=0.3)
    inputs = []
    for i in range(N_INPUTS):
        path = tmp_path / f"in{i:02d}.txt"
        path.write_text(str(i))
        inputs.append(str(path))
    out, data = tmp_path / "out", tmp_path / "data"
    command = [sys.executable, "-m", "spotq.cli", "run", str(app), *inputs, "--out", str(out),
               "--max-workers", "1"]  # fmt: skip
    # As from a terminal: SIGINT at its default, so Python turns it into KeyboardInterrupt. A test
    # run started in the background by a shell without job control ignores SIGINT, and a child
    # inherits that (Python then keeps ignoring it): the run would finish instead of stopping.
    proc = subprocess.Popen(
        [*command, "--data-dir", str(data)], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while _succeeded(data / "jobs.db") < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert "interrupted: " in stderr and f"of {N_INPUTS} jobs finished" in stderr, stderr
    assert "--skip-done" in stderr and "Aborted!" not in stderr
    written = len(list(out.iterdir()))
    assert 2 <= written < N_INPUTS

    resumed = subprocess.run(
        [*command, "--skip-done"], cwd=tmp_path, capture_output=True, text=True, timeout=180
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{written} inputs already have results" in resumed.stderr
    assert len(list(out.iterdir())) == N_INPUTS
