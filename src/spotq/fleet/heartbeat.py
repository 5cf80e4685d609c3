"""The one-line heartbeat `spotq up` prints while it runs: jobs done and failed, the backlog and
the workers, so a terminal shows the stack is alive without opening the dashboard."""

from __future__ import annotations

import time
from dataclasses import dataclass

from spotq.fleet.autoscaler import FleetSnapshot
from spotq.jobs import JobState

QUIET_REPEAT_S = 60.0  # an unchanged line is printed again only this often


def heartbeat_line(counts: dict[JobState, int], snap: FleetSnapshot | None) -> str:
    """`jobs: 12 done, 1 failed, 3 dead · backlog 5 (2 in flight) · workers 2 busy, 1 idle`."""
    done = counts.get(JobState.SUCCEEDED, 0)
    bad = [f"{counts.get(s, 0)} {s.value}" for s in (JobState.FAILED, JobState.DEAD)]
    jobs = f"jobs: {done} done, " + ", ".join(bad)
    if snap is None:
        return f"{jobs} · fleet starting"
    backlog = f"backlog {snap.visible + snap.in_flight} ({snap.in_flight} in flight)"
    parts = [f"{n} {name}" for name, n in (
        ("busy", snap.busy), ("idle", snap.idle), ("starting", snap.starting),
        ("draining", snap.draining),
    ) if n]  # fmt: skip
    workers = "workers " + (", ".join(parts) if parts else "0")
    return f"{jobs} · {backlog} · {workers} (policy wants {snap.desired})"


@dataclass
class Heartbeat:
    """Decides when to print: every `interval_s` when the line changed, else once a minute."""

    interval_s: float = 5.0
    _last_line: str = ""
    _last_s: float = float("-inf")
    _last_print_s: float = float("-inf")

    def due(self, now_s: float | None = None) -> bool:
        now_s = time.monotonic() if now_s is None else now_s
        return now_s - self._last_s >= self.interval_s

    def next_line(self, line: str, now_s: float | None = None) -> str | None:
        """The line to print now, or None to stay quiet."""
        now_s = time.monotonic() if now_s is None else now_s
        self._last_s = now_s
        if line == self._last_line and now_s - self._last_print_s < QUIET_REPEAT_S:
            return None
        self._last_line, self._last_print_s = line, now_s
        return line
