"""Benchmark (a): no-op jobs per second end to end (submitted → result stored), spotq in several
configurations beside Dramatiq and Celery (each at its defaults and with its best prefetch) on a
local Redis; optionally RQ, and Celery's SQS transport against spotq's SQS server.

One producer process, two worker processes, workers started and ready before the clock starts.

    .venv/bin/python bench/jobs_throughput.py [--jobs 5000] [--rounds 3] [--systems a,b,...]

Rule, fixed before any run: every system runs once per round, in the same order, for `--rounds`
rounds (default 3); the table shows each system's median over the rounds and its ratio to
Dramatiq at its defaults. Single runs on this shared machine swing 2×, so nothing else counts.
Beside it, the machine's busy CPU per job in the same timed window (every process of the run:
producer, workers, broker or queue server, job API): how much of the machine each system keeps
busy, and what a job costs it. It moves with the machine's speed as wall time does (a slow
minute makes every job cost more CPU time), so it too is read as a median over the rounds.

Installs redis-server (apt-get) when missing and the peers, at the versions pinned in
bench/requirements-peers.txt, into bench/.venv-peers (not .venv).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from jobs_setup import ensure_peers_venv, redis_server
from jobs_spotq import SpotqSetup, has_prefetch, run_spotq
from machine_cpu import Timed
from spotq.sqs.server import SqsServerConfig, start_server

HERE = Path(__file__).resolve().parent
TMPFS = "/dev/shm"
BASELINE = "dramatiq-default"
# The peers' best settings, from sweeps run before (median of 3 interleaved rounds,
# docs/benchmarks.md): Celery at a prefetch multiplier of 16 (4 is its default; 64 was slower;
# 2026-12-03, 2,000 jobs). Dramatiq on the quiet machine (2026-12-04, 5,000 jobs) at 1-4 threads
# per process with a prefetch of 100: ~1.2x its defaults (8 threads, prefetch 16), the three
# within noise of each other; the loaded machine of 2026-12-03 had put its defaults first. The
# default run includes its defaults and 2 threads / prefetch 100, and the report names the
# faster of the two as "its best".
CELERY_BEST = ("--prefetch", "16")
# Dramatiq settings beside its defaults (threads per process, messages prefetched per process),
# for the sweep that picks its best: `--systems` with these names.
DRAMATIQ_SWEEP = [(1, 2), (1, 100), (2, 4), (2, 100), (4, 8), (4, 100), (8, 100)]


@dataclass(frozen=True)
class System:
    """One row: how it runs, and its processes and threads in words."""

    name: str
    shape: str
    spotq: SpotqSetup | None = None  # None for a peer
    peer: str = ""
    peer_args: tuple[str, ...] = ()
    tmpfs: bool = False


SPOTQ_SHAPE = "2 worker procs × 1 handler thread; API + SQS server procs"
SYSTEMS = [
    System("spotq-b1-single", SPOTQ_SHAPE, SpotqSetup(batch_size=1, submit_batch=1)),
    System("spotq-b1-batchsub", SPOTQ_SHAPE, SpotqSetup(batch_size=1, submit_batch=500)),
    System("spotq-b10-batchsub", SPOTQ_SHAPE, SpotqSetup(batch_size=10, submit_batch=500)),
    System("spotq-b1-pf10-single", SPOTQ_SHAPE, SpotqSetup(1, prefetch=10, submit_batch=1)),
    System("spotq-b1-pf10-batchsub", SPOTQ_SHAPE, SpotqSetup(1, prefetch=10, submit_batch=500)),
    System("spotq-b10-tmpfs", SPOTQ_SHAPE + "; data dir on tmpfs", SpotqSetup(), tmpfs=True),
    System(BASELINE, "2 procs × 8 threads, prefetch 16/proc (its defaults)", peer="dramatiq"),
    *(
        System(
            f"dramatiq-t{threads}-pf{prefetch}",
            f"2 procs × {threads} thread(s), prefetch {prefetch}/proc",
            peer="dramatiq",
            peer_args=("--threads", str(threads), "--prefetch", str(prefetch)),
        )
        for threads, prefetch in DRAMATIQ_SWEEP
    ),
    System("celery-default", "prefork 2 children × 1, multiplier 4", peer="celery"),
    System(
        "celery-pf16",
        "prefork 2 children × 1, multiplier 16 (its best)",
        peer="celery",
        peer_args=CELERY_BEST,
    ),
    System("celery-sqs", "prefork 2 × 1, SQS transport → spotq's server", peer="celery-sqs"),
    System("rq", "2 worker procs, fork per job", peer="rq"),
]
DEFAULT_SYSTEMS = ("spotq-b1-single", "spotq-b1-batchsub", "spotq-b10-batchsub",
                   "spotq-b1-pf10-single", "spotq-b1-pf10-batchsub", BASELINE, "dramatiq-t2-pf100",
                   "celery-default", "celery-pf16")  # fmt: skip


def run_peer(python: Path, system: System, jobs: int, workers: int) -> Timed:
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp, redis_server(Path(tmp)) as url:
        args = [str(python), str(HERE / "jobs_peers.py"), system.peer, "--jobs", str(jobs),
                "--workers", str(workers), "--redis", url, *system.peer_args]  # fmt: skip
        sqs = None
        if system.peer == "celery-sqs":
            sqs = start_server(SqsServerConfig(port=0, data_dir=Path(tmp) / "sqs"))
            args += ["--sqs", sqs.endpoint_url]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=900)
        finally:
            if sqs is not None:
                sqs.stop()
    if done.returncode != 0:
        raise SystemExit(f"{system.name} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    line = json.loads(done.stdout.strip().splitlines()[-1])
    return Timed(float(line["jobs_per_s"]), float(line["cpu_ms_per_job"]))


def run_system(python: Path, system: System, jobs: int, workers: int) -> Timed:
    if system.spotq is None:
        return run_peer(python, system, jobs, workers)
    root = TMPFS if system.tmpfs else None
    return run_spotq(jobs, workers, root, system.spotq)


def chosen(names: str) -> list[System]:
    by_name = {s.name: s for s in SYSTEMS}
    wanted = [n for n in names.split(",") if n]
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        raise SystemExit(f"unknown systems {unknown}; choose from {', '.join(by_name)}")
    systems = [by_name[n] for n in wanted]
    if not has_prefetch():
        skipped = [s.name for s in systems if s.spotq and s.spotq.prefetch is not None]
        if skipped:
            print(f"skipped (this tree's App has no prefetch option): {', '.join(skipped)}")
        systems = [s for s in systems if not (s.spotq and s.spotq.prefetch is not None)]
    if any(s.tmpfs for s in systems) and not Path(TMPFS).is_dir():
        raise SystemExit(f"{TMPFS} is missing: leave the tmpfs row out")
    return systems


def report(systems: list[System], runs: dict[str, list[Timed]], jobs: int, rounds: int) -> None:
    rates = {name: statistics.median(r.jobs_per_s for r in values) for name, values in runs.items()}
    cpu = {
        name: statistics.median(r.cpu_ms_per_job for r in values) for name, values in runs.items()
    }
    print(f"{jobs} no-op jobs, 1 producer process, 2 worker processes; median of {rounds} "
          "interleaved rounds (rule fixed in advance)")  # fmt: skip
    print(
        "CPU: the machine's busy CPU time in the timed window (/proc/stat) per job, every "
        "process of the run together (producer, workers, broker or queue server, job API)"
    )
    base = rates.get(BASELINE)
    header = f"/ {BASELINE}" if base else ""
    cpu_header = "CPU ratio" if base else ""
    print(f"{'system':<24} {'jobs/s':>7} {header:>19} {'CPU ms/job':>10} {cpu_header:>9}  "
          f"{'shape':<52} runs (jobs/s)")  # fmt: skip
    for system in systems:
        name = system.name
        ratio = f"{rates[name] / base:.2f}" if base else ""
        cpu_ratio = f"{cpu[BASELINE] / cpu[name]:.2f}" if base else ""
        each = ", ".join(f"{r.jobs_per_s:.0f}" for r in runs[name])
        print(f"{name:<24} {rates[name]:>7.0f} {ratio:>19} {cpu[name]:>10.3f} {cpu_ratio:>9}  "
              f"{system.shape:<52} {each}")  # fmt: skip
    if base:
        print(f"(CPU ratio: {BASELINE}'s CPU per job ÷ the row's; above 1 is less CPU per job)")
        per_round_ratios(runs, BASELINE)
    dramatiq = [name for name in runs if name.startswith("dramatiq")]
    if len(dramatiq) > 1:  # the best setting of this run, by its median: what "its best" means
        best = max(dramatiq, key=lambda name: rates[name])
        print(f"best Dramatiq row of this run: {best} ({rates[best]:.0f} jobs/s)")
        for name in runs:
            if name.startswith("spotq"):
                print(f"{name} / {best}: {rates[name] / rates[best]:.2f}")
        if best != BASELINE:  # else printed above
            per_round_ratios(runs, best)


def per_round_ratios(runs: dict[str, list[Timed]], peer: str) -> None:
    for name in runs:
        if name.startswith("spotq"):
            pairs = zip(runs[name], runs[peer], strict=True)
            per_round = [a.jobs_per_s / b.jobs_per_s for a, b in pairs]
            print(f"{name} / {peer} per round: " + ", ".join(f"{r:.2f}" for r in per_round))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    names = ", ".join(s.name for s in SYSTEMS)
    parser.add_argument("--systems", default=",".join(DEFAULT_SYSTEMS), help=f"from: {names}")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians shown)")
    args = parser.parse_args()
    systems = chosen(args.systems)
    python = ensure_peers_venv() if any(s.spotq is None for s in systems) else Path(sys.executable)
    print(f"rule: median of {args.rounds} interleaved rounds, ratios against {BASELINE}",
          file=sys.stderr)  # fmt: skip
    runs: dict[str, list[Timed]] = {}
    for round_no in range(1, args.rounds + 1):
        # One run of every system per round, so that a slow minute on this shared machine
        # hits them alike.
        for system in systems:
            run = run_system(python, system, args.jobs, args.workers)
            runs.setdefault(system.name, []).append(run)
        line = " | ".join(f"{name} {values[-1].jobs_per_s:.0f}" for name, values in runs.items())
        print(f"round {round_no}/{args.rounds}: {line} jobs/s", file=sys.stderr)
    report(systems, runs, args.jobs, args.rounds)


if __name__ == "__main__":
    main()
