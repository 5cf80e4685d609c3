"""Fault drill: the data directory's disk fills up, then is freed; the stack heals itself."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from spotq.api.client import JobsClient
from spotq.fleet.local import LocalFleet
from spotq.jobs import JobState

from .conftest import ECHO_APP, records, wait_until, write_app
from .test_faults import _all_final, _ready


def test_a_full_disk_then_freed_heals_without_a_restart(
    tmp_path: Path, start_fleet: Callable[..., LocalFleet]
) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here to fill: {done.stderr.strip()}")
    try:
        _full_disk_drill(tmp_path, mount, start_fleet)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _full_disk_drill(tmp_path: Path, mount: Path, start_fleet: Callable[..., LocalFleet]) -> None:
    app = write_app(tmp_path, ECHO_APP, visibility_s=3, max_receives=3)
    fleet = start_fleet(app, data_dir=mount / "data", max_workers=2)
    client = JobsClient(fleet.stack.api_url)
    accepted = [item["job"]["id"] for item in client.submit_batch(
        [{"input": {"n": n}} for n in range(10)])]  # fmt: skip
    wait_until(lambda: _all_final(fleet, accepted), 60, "the first jobs")
    filler = mount / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * (1 << 20))
                out.flush()
        except OSError:
            pass  # ENOSPC: the disk is full
    statuses = []
    for n in range(5):
        reply = client.request("POST", "/v1/jobs", json.dumps({"input": {"full": n}}).encode(),
                               {"Content-Type": "application/json"})  # fmt: skip
        statuses.append(reply.status)
        assert reply.status != 500, reply.body
        body = json.loads(reply.body)
        if reply.status == 201:
            accepted.append(body["id"])
        else:
            assert set(body) == {"error", "detail"}, body
    time.sleep(3)
    filler.unlink()  # the operator frees space; nothing is restarted
    later = client.submit_batch([{"input": {"after": n}} for n in range(10)])
    accepted += [item["job"]["id"] for item in later]
    wait_until(lambda: _all_final(fleet, accepted), 120, "every accepted job after freeing")
    assert {r.state for r in records(fleet, accepted)} == {JobState.SUCCEEDED}, statuses
    wait_until(lambda: _ready(fleet)[0] == 200, 30, "readiness after the disk was freed")
