"""Benchmark (a): no-op jobs per second end to end (submitted → result stored), spotq beside
Celery, RQ and Dramatiq on a local Redis, and Celery's SQS transport against spotq's SQS server.

One producer, two worker processes, workers started and ready before the clock starts.

    .venv/bin/python bench/jobs_throughput.py [--jobs 5000] [--peers celery,rq,dramatiq,celery-sqs]

Installs redis-server (apt-get) when missing and the peers into bench/.venv-peers (not .venv).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from jobs_setup import ensure_peers_venv, redis_server
from jobs_spotq import run_spotq
from spotq.sqs.server import SqsServerConfig, start_server

HERE = Path(__file__).resolve().parent
ALL_PEERS = ("dramatiq", "celery", "rq", "celery-sqs")
TMPFS = "/dev/shm"


def run_peer(python: Path, peer: str, jobs: int, workers: int) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp, redis_server(Path(tmp)) as url:
        args = [str(python), str(HERE / "jobs_peers.py"), peer, "--jobs", str(jobs),
                    "--workers", str(workers), "--redis", url]  # fmt: skip
        sqs = None
        if peer == "celery-sqs":
            sqs = start_server(SqsServerConfig(port=0, data_dir=Path(tmp) / "sqs"))
            args += ["--sqs", sqs.endpoint_url]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=900)
        finally:
            if sqs is not None:
                sqs.stop()
    if done.returncode != 0:
        raise SystemExit(f"{peer} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["jobs_per_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--peers", default=",".join(ALL_PEERS))
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of every system, interleaved (medians shown)"
    )
    args = parser.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    unknown = set(peers) - set(ALL_PEERS)
    if unknown:
        raise SystemExit(f"unknown peers {sorted(unknown)}; choose from {', '.join(ALL_PEERS)}")
    python = ensure_peers_venv() if peers else Path(sys.executable)
    runs: dict[str, list[float]] = {}
    for round_no in range(1, args.rounds + 1):
        # One run of every system per round, so that a slow minute on this shared machine
        # hits them alike; the table shows each system's median over the rounds.
        rate = run_spotq(args.jobs, args.workers)
        runs.setdefault("spotq", []).append(rate)
        if Path(TMPFS).is_dir():
            # The peers' Redis keeps everything in memory (no persistence); spotq writes a job
            # row and a queue row per job (and a file per large result). On tmpfs its files
            # cost what Redis's memory does.
            runs.setdefault("spotq-tmpfs", []).append(run_spotq(args.jobs, args.workers, TMPFS))
        for peer in peers:
            runs.setdefault(peer, []).append(run_peer(python, peer, args.jobs, args.workers))
        line = " | ".join(f"{name} {values[-1]:.0f}" for name, values in runs.items())
        print(f"round {round_no}/{args.rounds}: {line} jobs/s", file=sys.stderr)
    rates = {name: statistics.median(values) for name, values in runs.items()}
    print(f"{args.jobs} no-op jobs, 1 producer, {args.workers} worker processes, "
          f"median of {args.rounds} interleaved rounds")  # fmt: skip
    print(f"{'system':<12} {'jobs/s':>8} {'spotq / system':>15}  runs")
    for name, rate in rates.items():
        each = ", ".join(f"{value:.0f}" for value in runs[name])
        print(f"{name:<12} {rate:>8.0f} {rates['spotq'] / rate:>15.2f}  {each}")
    peer_rates = {n: r for n, r in rates.items() if not n.startswith("spotq")}
    if peer_rates:
        fastest = max(peer_rates, key=lambda name: peer_rates[name])
        per_round = [s / f for s, f in zip(runs["spotq"], runs[fastest], strict=True)]
        print(
            f"spotq / fastest peer ({fastest}): {rates['spotq'] / peer_rates[fastest]:.2f}"
            f" (per round: {', '.join(f'{r:.2f}' for r in per_round)})"
        )
        if "spotq-tmpfs" in rates:
            print(f"spotq-tmpfs / fastest peer: {rates['spotq-tmpfs'] / peer_rates[fastest]:.2f}")


if __name__ == "__main__":
    main()
