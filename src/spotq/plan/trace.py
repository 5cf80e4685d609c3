"""Traffic traces: a CSV of job arrival times (`timestamp_s`) with optional `duration_s`."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from spotq.errors import ConfigError

SECONDS_PER_DAY = 86_400.0
PEAK_WINDOW_S = 300.0


@dataclass(frozen=True)
class Trace:
    """Arrival times in seconds (sorted), and each job's duration where the trace states it."""

    timestamps_s: npt.NDArray[np.float64]
    durations_s: npt.NDArray[np.float64] | None

    @property
    def jobs(self) -> int:
        return int(self.timestamps_s.size)

    @property
    def span_s(self) -> float:
        """Seconds from the first arrival to the last (at least one second)."""
        if self.jobs < 2:
            return 1.0
        return max(float(self.timestamps_s[-1] - self.timestamps_s[0]), 1.0)

    def mean_jobs_per_s(self) -> float:
        return self.jobs / self.span_s

    def jobs_per_day(self) -> float:
        return self.mean_jobs_per_s() * SECONDS_PER_DAY

    def peak_jobs_per_s(self, window_s: float = PEAK_WINDOW_S) -> float:
        """The busiest `window_s` window's arrival rate (windows aligned to the first arrival)."""
        if self.jobs == 0:
            return 0.0
        offsets = self.timestamps_s - self.timestamps_s[0]
        counts = np.bincount((offsets // window_s).astype(np.int64))
        return float(counts.max()) / min(window_s, self.span_s if self.jobs > 1 else window_s)

    def mean_duration_s(self) -> float | None:
        if self.durations_s is None or self.durations_s.size == 0:
            return None
        return float(self.durations_s.mean())


def _number(text: str, path: Path, row: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ConfigError(
            f"trace {path}: row {row}, column {column}: expected a number ≥ 0, got {text!r}"
        )
    return value


def read_trace_csv(path: Path) -> Trace:
    """Read and check a trace CSV; rows may be in any order, they come back sorted by time."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"trace {path}: cannot read it ({exc.strerror or exc})") from exc
    with handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        if "timestamp_s" not in columns:
            raise ConfigError(f"trace {path}: needs a timestamp_s column (found: {columns})")
        has_duration = "duration_s" in columns
        times: list[float] = []
        durations: list[float] = []
        for row_number, row in enumerate(reader, start=2):
            times.append(_number(row["timestamp_s"] or "", path, row_number, "timestamp_s"))
            if has_duration:
                durations.append(_number(row["duration_s"] or "", path, row_number, "duration_s"))
    order = np.argsort(np.asarray(times, dtype=np.float64), kind="stable")
    stamps = np.asarray(times, dtype=np.float64)[order]
    spans = np.asarray(durations, dtype=np.float64)[order] if has_duration else None
    return Trace(timestamps_s=stamps, durations_s=spans)
