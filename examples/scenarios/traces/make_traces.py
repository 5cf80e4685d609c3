"""Regenerate the example traces (deterministic): `python examples/scenarios/traces/make_traces.py`.

transcription-day.csv: one day of recordings, busier in working hours, with each job's duration.
face-indexing-bursts.csv: one day of photo-album uploads: a trickle plus a few large bursts.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
DAY_S = 86_400


def _diurnal_times(rng: np.random.Generator, jobs: int, peak_hour: float) -> np.ndarray:
    # Thinning: draw uniform times, keep each with probability rate(t) / max rate.
    kept: list[float] = []
    while len(kept) < jobs:
        t = rng.uniform(0, DAY_S)
        rate = 1 + 0.9 * np.cos(2 * np.pi * (t / 3600 - peak_hour) / 24)
        if rng.uniform(0, 1.9) < rate:
            kept.append(t)
    return np.sort(np.asarray(kept))


def transcription(rng: np.random.Generator) -> None:
    times = _diurnal_times(rng, 240, peak_hour=15.0)
    # Recordings of a few minutes: faster-whisper on 2 vCPU takes ~20-300 s (log-normal).
    durations = np.clip(rng.lognormal(mean=np.log(75), sigma=0.6, size=times.size), 10, 600)
    _write(HERE / "transcription-day.csv", times, durations)


def face_indexing(rng: np.random.Generator) -> None:
    trickle = rng.uniform(0, DAY_S, size=60)
    bursts = [
        rng.uniform(0, 300, size=size) + start
        for start, size in ((9.5 * 3600, 40), (13 * 3600, 25), (19 * 3600, 60))
    ]
    _write(HERE / "face-indexing-bursts.csv", np.sort(np.concatenate([trickle, *bursts])), None)


def _write(path: Path, times: np.ndarray, durations: np.ndarray | None) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp_s", "duration_s"] if durations is not None else ["timestamp_s"])
        for index, stamp in enumerate(times):
            row = [f"{stamp:.3f}"]
            if durations is not None:
                row.append(f"{durations[index]:.1f}")
            writer.writerow(row)


if __name__ == "__main__":
    generator = np.random.default_rng(20261122)
    transcription(generator)
    face_indexing(generator)
