"""Short-clip packing in-process: examples/transcribe.py's handler (batches of 10, packed) beside a
plain per-file faster-whisper loop on the same model object, same thread count, same clips,
alternating (plain, packed, packed, plain, ...). No queue, no start-up: the model's share only.
Prints wall and CPU seconds, word error rate, and how many clips were re-run alone.

    .venv/bin/python bench/transcribe_packing.py [--clips 20] [--rounds 2] [--threads 1]

Clips come from bench/shortclips.py (espeak-ng and sox: `apt-get install espeak-ng sox`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from shortclips import make_clips
from spotq.app import Job, load_app
from transcribe_workloads import SHORTCLIPS, word_error_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    os.environ["SPOTQ_WHISPER_THREADS"] = str(args.threads)
    texts = make_clips(SHORTCLIPS, args.clips)
    app = load_app(os.path.join(os.path.dirname(__file__), "..", "examples", "transcribe.py"))
    model = app.load_model()
    jobs = [Job(id=n, input={}, filename=n, data=(SHORTCLIPS / n).read_bytes()) for n in texts]
    assert app.handle_fn is not None
    namespace = app.handle_fn.__globals__
    alone = namespace["_transcribe"]
    reruns = [0]

    def counted(*call: Any) -> Any:
        reruns[0] += 1
        return alone(*call)

    namespace["_transcribe"] = counted  # counts clips sent back to be transcribed alone

    def plain() -> dict[str, str]:
        out = {}
        for job in jobs:
            segments, _ = model.transcribe(
                str(SHORTCLIPS / job.id), language="en", beam_size=1, vad_filter=False
            )
            out[job.id] = " ".join(s.text.strip() for s in segments).strip()
        return out

    def packed() -> dict[str, str]:
        out = {}
        for n in range(0, len(jobs), 10):
            batch = jobs[n : n + 10]
            for job, result in zip(batch, app.handle(model, batch), strict=True):
                out[job.id] = result["text"]
        return out

    _compare({"plain per-file loop": plain, "packed handler": packed}, texts, args.rounds, reruns)


def _compare(
    sides: dict[str, Callable[[], dict[str, str]]],
    texts: dict[str, str],
    rounds: int,
    reruns: list[int],
) -> None:
    wall: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    wer: dict[str, float] = {}
    names = list(sides)
    for n in range(rounds):
        for name in names if n % 2 == 0 else names[::-1]:
            reruns[0] = 0
            started, cpu_before = time.perf_counter(), time.process_time()
            out = sides[name]()
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - cpu_before)
            wer[name] = word_error_rate(texts, out)
            print(f"  round {n + 1}: {name:20s} wall {wall[name][-1]:6.1f} s  "
                  f"CPU {cpu[name][-1]:6.1f} s  WER {wer[name]:.3f}  re-run alone {reruns[0]}",
                  flush=True)  # fmt: skip
    base_wall, base_cpu = statistics.median(wall[names[0]]), statistics.median(cpu[names[0]])
    print(f"\n{len(texts)} clips, medians of {rounds} round(s); load average {os.getloadavg()}")
    for name in names:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"{name:20s} wall {w:6.1f} s ({base_wall / w:4.2f}x)  CPU {c:6.1f} s "
              f"({base_cpu / c:4.2f}x)  WER {wer[name]:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
