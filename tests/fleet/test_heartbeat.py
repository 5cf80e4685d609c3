"""The `spotq up` heartbeat line: what it says, and that it stays quiet while nothing changes."""

from __future__ import annotations

from spotq.fleet.autoscaler import FleetSnapshot
from spotq.fleet.heartbeat import QUIET_REPEAT_S, Heartbeat, heartbeat_line
from spotq.jobs import JobState

SNAP = FleetSnapshot(
    at_s=0.0, visible=5, in_flight=2, starting=1, idle=0, busy=2, draining=0, desired=3,
    peak_workers=3,
)  # fmt: skip


def test_the_line_has_jobs_backlog_and_workers() -> None:
    counts = {JobState.SUCCEEDED: 12, JobState.FAILED: 1, JobState.DEAD: 0}
    assert heartbeat_line(counts, SNAP) == (
        "jobs: 12 done, 1 failed, 0 dead · backlog 7 (2 in flight) · "
        "workers 2 busy, 1 starting (policy wants 3)"
    )
    assert heartbeat_line({}, None) == "jobs: 0 done, 0 failed, 0 dead · fleet starting"


def test_an_unchanged_line_is_repeated_only_once_a_minute() -> None:
    beat = Heartbeat(interval_s=5.0)
    assert beat.due(0.0) and beat.next_line("a", 0.0) == "a"
    assert not beat.due(4.0) and beat.due(5.0)
    assert beat.next_line("a", 5.0) is None
    assert beat.next_line("b", 10.0) == "b"
    assert beat.next_line("b", 10.0 + QUIET_REPEAT_S) == "b"
