"""Does batching pay? `spotq serve` (adaptive micro-batching) against the same model behind a plain
FastAPI endpoint that calls it once per request (bench/serve_plain.py), and optionally BentoML
with its own adaptive batching (bench/serve_peer_bentoml.py), under the same closed-loop load.

    .venv/bin/python bench/serve_batching.py --model labs --clients 32 --seconds 10 --rounds 3
    .venv/bin/python bench/serve_batching.py --model whisper --clients 32 --seconds 20
    .venv/bin/python bench/serve_batching.py --model labs --bentoml /tmp/bento/bin/python
    .venv/bin/python bench/serve_batching.py --model whisper --batch-size 10 \
        --bentoml /tmp/bento/bin/python

All servers run for the whole benchmark; rounds alternate between them (A, B, A, B, ...) so
the noise of this shared machine falls on each alike. Prints each round, then the medians and
the ratios spotq / peer for requests per second and p95 latency.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from serve_load import LoadResult, closed_loop, request_bytes

ROOT = Path(__file__).resolve().parents[1]
APPS = {"labs": ROOT / "examples" / "labs.py", "whisper": ROOT / "examples" / "transcribe.py"}


@dataclass
class Peer:
    name: str
    url: str
    path: str  # where requests go
    proc: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], path: str = "/readyz") -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"a server exited ({proc.returncode}) before it was ready")
        try:
            with urllib.request.urlopen(url + path, timeout=5) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} never became ready")


def _start(
    name: str,
    command: list[str],
    port: int,
    path: str,
    ready: str = "/readyz",
    threads: int | None = None,
) -> Peer:
    env = None if threads is None else {**os.environ, "SPOTQ_WHISPER_THREADS": str(threads)}
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    _wait_ready(url, proc, ready)
    return Peer(name, url, path, proc)


def _labs_payloads(url: str, path: str, names_per_request: int) -> list[bytes]:
    table = json.loads((ROOT / "examples" / "data" / "lab_categories.json").read_text())
    names = [n for examples in table.values() for n in examples]
    rng = random.Random(7)
    bodies = []
    for _ in range(200):
        tests = rng.sample(names, rng.randint(1, names_per_request))
        body = json.dumps({"input": {"tests": [t.lower() for t in tests]}}).encode()
        bodies.append(request_bytes(url, path, body, "application/json"))
    return bodies


def _whisper_payloads(url: str, path: str) -> list[bytes]:
    bodies = []
    for wav in sorted((ROOT / "samples").glob("*.wav")):
        part = (
            (
                f'--b0\r\nContent-Disposition: form-data; name="file"; filename="{wav.name}"\r\n'
                "Content-Type: audio/wav\r\n\r\n"
            ).encode()
            + wav.read_bytes()
            + b"\r\n--b0--\r\n"
        )
        bodies.append(request_bytes(url, path, part, "multipart/form-data; boundary=b0"))
    return bodies


def _whisper_bento_payloads(url: str, path: str) -> list[bytes]:
    """The same files for BentoML's batchable JSON API: {"inputs": [{"wav_b64": ...}]}."""
    bodies = []
    for wav in sorted((ROOT / "samples").glob("*.wav")):
        encoded = base64.b64encode(wav.read_bytes()).decode()
        body = json.dumps({"inputs": [{"wav_b64": encoded}]}).encode()
        bodies.append(request_bytes(url, path, body, "application/json"))
    return bodies


def _as_bento(request: bytes) -> bytes:
    head, _, body = request.partition(b"\r\n\r\n")
    new_body = json.dumps({"inputs": [json.loads(body)["input"]]}).encode()
    head = head.replace(
        f"Content-Length: {len(body)}".encode(), f"Content-Length: {len(new_body)}".encode()
    )
    return head + b"\r\n\r\n" + new_body


def _payloads(model: str, peer: Peer, names_per_request: int) -> list[bytes]:
    if model == "labs":
        bodies = _labs_payloads(peer.url, peer.path, names_per_request)
        if peer.name == "BentoML":  # a batchable API takes a list: {"inputs": [input]}
            bodies = [_as_bento(b) for b in bodies]
        return bodies
    if peer.name == "BentoML":
        return _whisper_bento_payloads(peer.url, peer.path)
    return _whisper_payloads(peer.url, peer.path)


def _start_peers(args: argparse.Namespace) -> list[Peer]:
    app = str(APPS[args.model])
    py = sys.executable
    peers = []
    port = _free_port()
    spotq = [py, "-m", "spotq.cli", "serve", app, "--port", str(port)]
    spotq += ["--latency-budget-ms", str(args.budget_ms)]
    if args.batch_size:
        spotq += ["--batch-size", str(args.batch_size)]
    threads = args.whisper_threads  # per process; a peer of N processes gets 1/N of them each
    peers.append(_start("spotq serve", spotq, port, "/v1/predict", threads=threads))
    if args.spotq_workers > 1:  # one model lane per process: N processes use N cores
        port = _free_port()
        command = [py, "-m", "spotq.cli", "serve", app, "--port", str(port)]
        command += ["--workers", str(args.spotq_workers), *spotq[7:]]  # the same options
        name = f"spotq serve x{args.spotq_workers}"
        share = None if threads is None else max(1, threads // args.spotq_workers)
        peers.append(_start(name, command, port, "/v1/predict", threads=share))
    port = _free_port()
    plain_path = "/v1/predict" if args.model == "labs" else "/v1/predict_file"
    plain = [py, str(ROOT / "bench" / "serve_plain.py"), app, str(port)]
    peers.append(_start("plain FastAPI", plain, port, plain_path, threads=threads))
    if args.bentoml:
        port = _free_port()
        bento = [args.bentoml, str(ROOT / "bench" / "serve_peer_bentoml.py"), str(port), args.model]
        peers.append(_start("BentoML", bento, port, "/predict", ready="/readyz", threads=threads))
    return peers


def _row(name: str, r: LoadResult) -> str:
    errors = sum(n for s, n in r.statuses.items() if s != 200)
    return (
        f"{name:<14} {r.ok_per_s:>9.1f} {r.percentile_ms(0.5):>9.1f} {r.percentile_ms(0.95):>9.1f}"
        f" {r.percentile_ms(0.99):>9.1f} {errors:>7} {r.ok_per_cpu_s:>9.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=sorted(APPS), default="labs")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--names", type=int, default=1,
                        help="labs: each request names 1..NAMES lab tests")  # fmt: skip
    parser.add_argument("--budget-ms", type=float, default=60_000,
                        help="spotq's latency budget; closed-loop clients queue")  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=0,
                        help="spotq serve --batch-size (default: the app's own); whisper: "
                        "examples/transcribe.py ships 2 for queue scaling, a server of short "
                        "clips wants 10 so that packing fills its 30 s windows")  # fmt: skip
    parser.add_argument("--bentoml", default=None, help="python of a venv with bentoml")
    parser.add_argument("--spotq-workers", type=int, default=1,
                        help="also run `spotq serve --workers N` as a peer")  # fmt: skip
    parser.add_argument("--whisper-threads", type=int, default=None,
                        help="whisper: the model's CPU threads per single-process peer "
                        "(SPOTQ_WHISPER_THREADS); the --workers N peer gets 1/N of them per "
                        "process, so every peer uses the same cores")  # fmt: skip
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # One BLAS thread per process for every peer: on 2 shared cores, OpenBLAS's own threads
    # fight each other and the other servers (the MiniLM encoder ran ~5x slower with them).
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    peers = _start_peers(args)
    results: dict[str, list[LoadResult]] = {p.name: [] for p in peers}
    header = (
        f"{'peer':<14} {'req/s':>9} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'non-200':>7}"
        f" {'req/CPU-s':>9}"
    )
    try:
        for n in range(args.rounds):
            print(f"-- round {n + 1}/{args.rounds}: {args.model}, {args.clients} clients\n{header}")
            for peer in peers if n % 2 == 0 else peers[::-1]:
                payloads = _payloads(args.model, peer, args.names)
                load = closed_loop(peer.url, payloads, args.clients, args.warmup, args.seconds,
                                   peer.proc.pid)  # fmt: skip
                r = asyncio.run(load)
                results[peer.name].append(r)
                print(_row(peer.name, r), flush=True)
    finally:
        for peer in peers:
            peer.proc.terminate()
            peer.proc.wait(60)
    _summary(results)


def _summary(results: dict[str, list[LoadResult]]) -> None:
    def med(name: str, f: object) -> float:
        value = statistics.median(f(r) for r in results[name])  # type: ignore[operator]
        return float(value) if value == value and value > 0 else float("nan")  # NaN: no data

    print("-- medians over rounds")
    for name in results:
        rps = med(name, lambda r: r.ok_per_s)
        p95 = med(name, lambda r: r.percentile_ms(0.95))
        per_cpu = med(name, lambda r: r.ok_per_cpu_s)
        print(f"{name:<14} {rps:>9.1f} req/s  p95 {p95:>8.1f} ms  {per_cpu:>7.1f} req/CPU-s")
    base = "spotq serve"
    for name in results:
        if name != base:
            rps = med(base, lambda r: r.ok_per_s) / med(name, lambda r: r.ok_per_s)
            p95 = med(base, lambda r: r.percentile_ms(0.95)) / med(
                name, lambda r: r.percentile_ms(0.95)
            )
            cpu = med(base, lambda r: r.ok_per_cpu_s) / med(name, lambda r: r.ok_per_cpu_s)
            print(f"spotq / {name}: {rps:.2f}x the req/s at {p95:.2f}x the p95; "
                  f"{cpu:.2f}x the requests per server CPU-second")  # fmt: skip


if __name__ == "__main__":
    main()
