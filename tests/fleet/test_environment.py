"""Workers run user code on anyone's inputs: they get their parent's environment less the API's
secrets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from spotq.clock import SystemClock
from spotq.fleet.environment import worker_environment
from spotq.fleet.workers import WorkerPool

_REPORT_ENV = """
import json, os, sys
with open(sys.argv[1], "w") as f:
    json.dump(dict(os.environ), f)
"""


def test_worker_environment_drops_the_api_key_and_keeps_the_rest() -> None:
    parent = {"SPOTQ_API_KEY": "s3cret", "PATH": "/bin", "CUDA_VISIBLE_DEVICES": "0"}
    assert worker_environment(parent) == {"PATH": "/bin", "CUDA_VISIBLE_DEVICES": "0"}
    assert parent["SPOTQ_API_KEY"] == "s3cret"  # the caller's mapping is left alone


class EnvReportingPool(WorkerPool):
    """Starts a stand-in that writes the environment it was given; the pool is unchanged."""

    def command(self, status_path: Path) -> list[str]:
        return [sys.executable, "-c", _REPORT_ENV, str(status_path)]


def test_a_started_worker_does_not_inherit_spotq_api_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.setenv("SPOTQ_API_KEY", "s3cret")
    monkeypatch.setenv("SPOTQ_TEST_MARKER", "kept")
    pool = EnvReportingPool(
        "app.py", tmp_path / "stack.json", tmp_path / "run", SystemClock(), {"EXTRA": "1"}
    )
    worker = pool.start()
    assert worker.process.wait(timeout=30) == 0
    pool.reap()
    env = json.loads(worker.status_path.read_text())
    assert "SPOTQ_API_KEY" not in env
    assert env["SPOTQ_TEST_MARKER"] == "kept" and env["EXTRA"] == "1"
