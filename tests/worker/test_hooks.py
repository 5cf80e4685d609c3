import io
import json
from pathlib import Path

import pytest

from spotq.clock import FakeClock
from spotq.worker.hooks import HookChain, Hooks, JobTimings
from spotq.worker.jsonlog import FLUSH_EVERY_S, JsonLogHooks
from spotq.worker.status import StatusFileHooks


class Broken(Hooks):
    def on_busy(self) -> None:
        raise RuntimeError("agent unreachable")


class Counting(Hooks):
    def __init__(self) -> None:
        self.busy = 0

    def on_busy(self) -> None:
        self.busy += 1


def test_a_failing_hook_is_reported_and_the_rest_still_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    counting = Counting()
    HookChain([Broken(), counting]).on_busy()
    assert counting.busy == 1
    line = json.loads(capsys.readouterr().err)
    assert line["event"] == "hook_error" and line["hook"] == "Broken"
    assert "agent unreachable" in line["error"]


def test_json_log_lines() -> None:
    stream = io.StringIO()
    log = JsonLogHooks(stream, FakeClock(start_s=100.0))
    log.on_start("echo", 42)
    log.on_job_done("j1", 2, JobTimings(1.5, 0.01, 0.2, 0.003, 4))
    log.on_job_failed("j2", 3, "boom", "dead")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["starting", "job_done", "job_failed"]
    assert all(
        line["app"] == "echo" and line["pid"] == 42 and line["ts"] == 100.0 for line in lines
    )
    assert lines[1]["queue_wait_s"] == 1.5 and lines[1]["batch_size"] == 4
    assert lines[2]["outcome"] == "dead" and lines[2]["error"] == "boom"


def test_routine_lines_are_written_in_bursts_and_never_behind_other_events() -> None:
    stream = io.StringIO()
    clock = FakeClock(start_s=100.0)
    log = JsonLogHooks(stream, clock)
    timings = JobTimings(0.0, 0.0, 0.001, 0.0, 1)

    def events() -> list[str]:
        return [json.loads(line)["event"] for line in stream.getvalue().splitlines()]

    log.on_job_done("j1", 1, timings)  # the first line goes out at once
    log.on_batch_received(1, "q")
    log.on_job_done("j2", 1, timings)
    assert events() == ["job_done"]  # the next two wait (less than FLUSH_EVERY_S passed)
    clock.advance(FLUSH_EVERY_S)
    log.on_job_done("j3", 1, timings)
    assert events() == ["job_done", "received_batch", "job_done", "job_done"]
    log.on_job_done("j4", 1, timings)
    log.on_error("receive", "boom")  # any other event takes the waiting lines with it
    assert events()[-2:] == ["job_done", "error"]
    ids = [json.loads(line).get("job_id") for line in stream.getvalue().splitlines()]
    assert [i for i in ids if i] == ["j1", "j2", "j3", "j4"]


def test_status_file_follows_the_worker_states(tmp_path: Path) -> None:
    path = tmp_path / "run" / "w1.json"
    status = StatusFileHooks(path, FakeClock())
    seen = []
    for step in (
        lambda: status.on_start("echo", 7),
        status.on_ready,
        status.on_busy,
        status.on_idle,
        lambda: status.on_draining("SIGTERM"),
        lambda: status.on_stop("SIGTERM", 0),
    ):
        step()
        seen.append(json.loads(path.read_text())["state"])
    assert seen == ["starting", "idle", "busy", "idle", "draining", "stopped"]
    assert json.loads(path.read_text())["pid"] == 7
    assert [p.name for p in path.parent.iterdir()] == ["w1.json"]  # no temp files left
