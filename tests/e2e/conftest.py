"""Small apps written into tmp dirs, and helpers to wait on jobs of a real local fleet."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from spotq.fleet.embedded import StackOptions
from spotq.fleet.local import FleetOptions, LocalFleet
from spotq.jobs import JobRecord

ECHO_APP = """
import time
import spotq

app = spotq.App("echo", visibility_timeout_s={visibility_s}, max_receives={max_receives},
                retry_backoff_s=0)

@app.handler
def handle(model, jobs):
    time.sleep(sum(float(j.input.get("sleep_s", {sleep_s})) for j in jobs))
    return [{{"input": j.input, "name": j.filename, "size": len(j.data or b"")}} for j in jobs]
"""

POISON_APP = """
import os
import spotq

app = spotq.App("poison", max_receives=3, retry_backoff_s=0, visibility_timeout_s=5)

@app.handler
def handle(model, jobs):
    out = []
    for j in jobs:
        if os.path.exists(j.input["flag"]):
            raise RuntimeError("poisoned input " + str(j.input["n"]))
        out.append({{"n": j.input["n"]}})
    return out
"""

FAILING_APP = """
import spotq

app = spotq.App("failing", max_receives=2, retry_backoff_s=0)

@app.handler
def handle(model, jobs):
    return [spotq.JobFailed("cannot read " + str(j.filename), retry=False)
            if b"bad" in (j.data or b"") else {{"ok": True}} for j in jobs]
"""


def write_app(directory: Path, source: str, **params: object) -> Path:
    defaults: dict[str, object] = {"visibility_s": 10, "max_receives": 3, "sleep_s": 0.0}
    path = directory / "app.py"
    path.write_text(source.format(**{**defaults, **params}))
    return path


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def records(fleet: LocalFleet, job_ids: list[str]) -> list[JobRecord]:
    runtime = fleet.stack.runtime
    assert runtime is not None
    found = [runtime.service.jobs.get(job_id) for job_id in job_ids]
    assert all(r is not None for r in found)
    return [r for r in found if r is not None]


@pytest.fixture
def start_fleet(tmp_path: Path) -> Iterator[Callable[..., LocalFleet]]:
    started: list[LocalFleet] = []

    def start(app_path: Path, data_dir: Path | None = None, **fleet_options: object) -> LocalFleet:
        data_dir = data_dir or tmp_path / "data"
        options = FleetOptions(
            **{"max_workers": 2, "idle_s": 1.0, "grace_s": 10.0, "interval_s": 0.3, **fleet_options}
        )  # type: ignore[arg-type]
        fleet = LocalFleet(str(app_path), StackOptions(data_dir=data_dir), options)
        started.append(fleet.start())
        return fleet

    yield start
    for fleet in started:
        fleet.stop()
