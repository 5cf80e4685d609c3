"""A poison job is dead after exactly max_receives attempts; `spotq dlq redrive` brings it back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from spotq.api.client import JobsClient
from spotq.cli import cli
from spotq.fleet.local import LocalFleet
from spotq.jobs import JobState

from .conftest import POISON_APP, records, wait_until, write_app


def test_poison_job_dies_then_redrive_brings_it_back(
    tmp_path: Path, start_fleet: Callable[..., LocalFleet]
) -> None:
    flag = tmp_path / "poison.flag"
    flag.write_text("while this file exists the job fails")
    fleet = start_fleet(write_app(tmp_path, POISON_APP), max_workers=1)
    api = ["--api-url", fleet.stack.api_url]
    client = JobsClient(fleet.stack.api_url)
    poison = client.submit({"flag": str(flag), "n": 1})["id"]
    healthy = client.submit({"flag": str(tmp_path / "absent"), "n": 2})["id"]

    def state(job_id: str) -> JobState:
        return records(fleet, [job_id])[0].state

    wait_until(lambda: state(poison) is JobState.DEAD, 60, "the poison job to be dead")
    dead = client.job(poison)
    assert dead["attempts"] == 3  # the app's max_receives
    assert "poisoned input 1" in dead["last_error"]
    assert state(healthy) is JobState.SUCCEEDED

    table = CliRunner().invoke(cli, ["dlq", "list", *api])
    assert table.exit_code == 0 and "1 message(s) in the DLQ" in table.output, table.output
    listing = CliRunner().invoke(cli, ["dlq", "list", "--json", *api])
    [entry] = json.loads(listing.output)["messages"]
    assert entry["job_id"] == poison and entry["state"] == "dead" and entry["attempts"] == 3
    assert "poisoned input 1" in entry["last_error"]

    flag.unlink()  # the input is fixed
    redrive = CliRunner().invoke(cli, ["dlq", "redrive", *api])
    assert redrive.exit_code == 0, redrive.output
    assert poison in redrive.output
    wait_until(lambda: state(poison) is JobState.SUCCEEDED, 60, "the redriven job to succeed")
    result = CliRunner().invoke(cli, ["result", poison, *api])
    assert result.exit_code == 0 and '"n": 1' in result.output
    status = CliRunner().invoke(cli, ["status", poison, *api])
    assert '"state": "succeeded"' in status.output
