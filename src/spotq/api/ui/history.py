"""A rolling hour of samples of the stack (job counts, queue depths, the fleet's workers and the
policy's desired count), taken by the API itself so the dashboard can draw them over time."""

from __future__ import annotations

import collections
import threading
from dataclasses import asdict, dataclass
from typing import Any

from spotq.jobs import JobState

WINDOW_S = 3600.0


@dataclass(frozen=True)
class Sample:
    """One point in time. Worker fields are None when no local fleet reports (e.g. on AWS)."""

    at_s: float
    succeeded: int
    failed: int
    dead: int
    queued: int
    running: int
    visible: int
    in_flight: int
    dlq: int
    starting: int | None = None
    idle: int | None = None
    busy: int | None = None
    draining: int | None = None
    desired: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sample_of(
    at_s: float, counts: dict[JobState, int], depths: dict[str, tuple[int, int]],
    fleet: dict[str, Any] | None,
) -> Sample:  # fmt: skip
    """Build a sample from job counts, {queue: (visible, in_flight)} and a fleet snapshot."""
    visible = depths["normal"][0] + depths["high"][0]
    in_flight = depths["normal"][1] + depths["high"][1]
    workers: dict[str, int | None] = {}
    for key in ("starting", "idle", "busy", "draining", "desired"):
        value = (fleet or {}).get(key)
        workers[key] = value if isinstance(value, int) else None
    return Sample(
        at_s=at_s,
        succeeded=counts.get(JobState.SUCCEEDED, 0),
        failed=counts.get(JobState.FAILED, 0),
        dead=counts.get(JobState.DEAD, 0),
        queued=counts.get(JobState.QUEUED, 0),
        running=counts.get(JobState.RUNNING, 0),
        visible=visible,
        in_flight=in_flight,
        dlq=sum(depths["dlq"]),
        **workers,
    )


class History:
    """Samples of the last `window_s`, oldest first; safe to add from one thread, read from any."""

    def __init__(self, window_s: float = WINDOW_S) -> None:
        self.window_s = window_s
        self._samples: collections.deque[Sample] = collections.deque()
        self._lock = threading.Lock()

    def add(self, sample: Sample) -> None:
        with self._lock:
            self._samples.append(sample)
            while self._samples and self._samples[0].at_s < sample.at_s - self.window_s:
                self._samples.popleft()

    def samples(self) -> list[Sample]:
        with self._lock:
            return list(self._samples)
