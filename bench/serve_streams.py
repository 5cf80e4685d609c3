"""How many concurrent speech streams does one `spotq serve` hold with final-transcript latency
p95 ≤ 1 s? N WebSocket clients stream the shipped samples (each followed by 1 s of quiet) at
real-time pace to examples/transcribe.py; for N = 1, 2, ... the script reports the final latency
(end of the utterance's speech → its final text, as the client sees it), word accuracy against
samples/texts.json next to the batch upload's, and stops after the first N that misses.

    .venv/bin/python bench/serve_streams.py --max-n 8 [--partial-every-ms 0] [--threads 2]
        [--speculate-after-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "serve"))

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
RATE = 16_000
FRAME = RATE // 10  # 100 ms


def _accuracy(reference: str, hypothesis: str) -> float:
    import re

    ref, hyp = (re.sub(r"[^a-z0-9' ]+", " ", t.lower()).split() for t in (reference, hypothesis))
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return max(0.0, 1.0 - previous[-1] / max(1, len(ref)))


def _audio(name: str) -> np.ndarray:
    with wave.open(str(SAMPLES / name)) as w:
        speech = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return np.concatenate([speech, np.zeros(RATE, dtype="<i2")])


async def _one_stream(url: str, name: str, delay_s: float) -> tuple[list[float], str]:
    """Stream one sample at real-time pace; (final latencies in s, final text)."""
    await asyncio.sleep(delay_s)
    audio = _audio(name)
    latencies: list[float] = []
    texts: list[str] = []
    async with connect(url, max_size=2**20) as ws:
        started = time.monotonic()

        async def read() -> None:
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "final":
                    latencies.append(time.monotonic() - (started + message["end_s"]))
                    texts.append(message["text"])

        reader = asyncio.create_task(read())
        for n, k in enumerate(range(0, len(audio), FRAME)):
            await asyncio.sleep(max(0.0, started + n * FRAME / RATE - time.monotonic()))
            await ws.send(audio[k : k + FRAME].tobytes())
        await ws.send(json.dumps({"type": "end"}))
        await reader
    return latencies, " ".join(texts)


async def _round(url: str, n: int, names: list[str]) -> tuple[list[float], list[float]]:
    # Staggered starts, as real callers are: not every utterance ends at the same instant.
    jobs = [_one_stream(url, names[i % len(names)], i * 4.5 / max(1, n)) for i in range(n)]
    results = await asyncio.gather(*jobs)
    texts = json.loads((SAMPLES / "texts.json").read_text())
    latencies = [lat for lats, _ in results for lat in lats]
    accuracy = [
        _accuracy(texts[names[i % len(names)]], text) for i, (_, text) in enumerate(results)
    ]
    return latencies, accuracy


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-n", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2, help="rounds per N")
    parser.add_argument("--partial-every-ms", type=float, default=800)
    parser.add_argument("--target-s", type=float, default=1.0)
    parser.add_argument(
        "--speculate-after-ms",
        type=float,
        default=120,
        help="spotq serve's option; 0 decodes each final after its endpoint",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="SPOTQ_WHISPER_THREADS of the server (its one model's threads)",
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["SPOTQ_WHISPER_THREADS"] = str(args.threads)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "spotq.cli", "serve", str(ROOT / "examples" / "transcribe.py"),
               "--port", str(port), "--partial-every-ms", str(args.partial_every_ms),
               "--speculate-after-ms", str(args.speculate_after_ms)]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    from conftest import http  # tests/serve/conftest.py: one raw request

    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if http(url, "GET", "/readyz")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    names = sorted(json.loads((SAMPLES / "texts.json").read_text()))
    print(f"{'N':>3} {'finals':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'words':>6}  holds")
    best = 0
    try:
        for n in range(1, args.max_n + 1):
            latencies: list[float] = []
            accuracy: list[float] = []
            for _ in range(args.repeat):
                lat, acc = asyncio.run(_round(url.replace("http", "ws") + "/v1/stream", n, names))
                latencies += lat
                accuracy += acc
            p95 = _p95(latencies)
            holds = p95 <= args.target_s
            median, words = float(np.median(latencies)), float(np.mean(accuracy))
            print(f"{n:>3} {len(latencies):>6} {median:>7.2f} {p95:>7.2f} "
                  f"{max(latencies):>7.2f} {words:>6.2f}  {holds}", flush=True)  # fmt: skip
            if not holds:
                break
            best = n
    finally:
        proc.terminate()
        proc.wait(60)
    print(f"largest N with final p95 <= {args.target_s} s: {best}")


if __name__ == "__main__":
    main()
