"""examples/labs.py: jobs per second with batch size 1 vs 10 (one encode per batch), and how far
the batched embeddings are from encoding each name alone (issue 15).

The handler is called in-process (no queue: this measures the model's share of a worker's
time); jobs hold 1-3 lab-test names drawn from the category table plus a few longer names.
Batch sizes alternate over ROUNDS rounds; the table shows medians.

    .venv/bin/python bench/labs_batching.py [--jobs 200] [--rounds 3] [--batch-sizes 1,10]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from spotq.app import Job, load_app

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "examples" / "labs.py"
TABLE = ROOT / "examples" / "data" / "lab_categories.json"
EXTRA = (
    "Serum creatinine",
    "TSH",
    "Haemoglobin level",
    "Free thyroxine (FT4) in serum by chemiluminescent immunoassay",
    "25-OH Vitamin D, total, by liquid chromatography and mass spectrometry",
)


def _jobs(count: int) -> list[Job]:
    table: dict[str, list[str]] = json.loads(
        (ROOT / "examples/data/lab_categories.json").read_text()
    )
    pool = [name for names in table.values() for name in names] + list(EXTRA)
    rng = random.Random(15)
    return [
        Job(id=str(n), input={"tests": rng.sample(pool, rng.randint(1, 3))}) for n in range(count)
    ]


def _largest_cosine_gap(model: Any, jobs: list[Job]) -> float:
    """1 - cosine between each name encoded alone and encoded in one pass with all the others."""
    names = sorted({name for job in jobs for name in job.input["tests"]})
    together = model.encoder.encode(names)
    alone = np.stack([model.encoder.encode([name])[0] for name in names])
    return float(np.max(1.0 - np.sum(together * alone, axis=1)))


def _rate(app: Any, model: Any, jobs: list[Job], batch: int) -> tuple[float, float, list[Any]]:
    """Jobs per wall-second and per CPU-second of this process (the steadier figure on a
    shared machine, where the wall clock also counts other people's work)."""
    results: list[Any] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    for n in range(0, len(jobs), batch):
        results += app.handle(model, jobs[n : n + batch])
    wall_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    return len(jobs) / wall_s, len(jobs) / cpu_s, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-sizes", default="1,10")
    args = parser.parse_args()
    sizes = [int(size) for size in args.batch_sizes.split(",")]
    app = load_app(str(APP))
    model = app.load_model()
    jobs = _jobs(args.jobs)
    rates: dict[int, list[float]] = {size: [] for size in sizes}
    per_cpu: dict[int, list[float]] = {size: [] for size in sizes}
    answers: dict[int, list[Any]] = {}
    for n in range(args.rounds):
        for size in sizes if n % 2 == 0 else sizes[::-1]:
            rate, cpu_rate, answers[size] = _rate(app, model, jobs, size)
            rates[size].append(rate)
            per_cpu[size].append(cpu_rate)
            print(f"  round {n + 1}: batch {size:2d}  {rate:7.1f} jobs/s"
                  f"  {cpu_rate:7.1f} jobs/CPU-s", flush=True)  # fmt: skip
    base = statistics.median(rates[sizes[0]])
    cpu_base = statistics.median(per_cpu[sizes[0]])
    print(f"\n{len(jobs)} jobs, {sum(len(j.input['tests']) for j in jobs)} names, medians")
    print(f"{'batch':>5s} {'jobs/s':>8s} {'/ batch ' + str(sizes[0]):>10s} {'jobs/CPU-s':>10s}"
          f" {'/ batch ' + str(sizes[0]):>10s}  rounds (jobs/s)")  # fmt: skip
    for size in sizes:
        median, cpu_median = statistics.median(rates[size]), statistics.median(per_cpu[size])
        runs = ", ".join(f"{r:.1f}" for r in rates[size])
        print(f"{size:5d} {median:8.1f} {median / base:10.2f} {cpu_median:10.1f}"
              f" {cpu_median / cpu_base:10.2f}  {runs}")  # fmt: skip
    same = all(answers[size] == answers[sizes[0]] for size in sizes)
    print(f"same categories at every batch size: {same}")
    print(f"largest 1 - cosine, batched vs alone: {_largest_cosine_gap(model, jobs):.2e}")


if __name__ == "__main__":
    main()
