"""Transcription efficiency: audio-seconds per wall-second of `spotq run examples/transcribe.py`
beside a plain loop calling faster-whisper directly, with the same total CPU threads, on the same
files, in one run (issue 3, benchmark b; issue 15).

The workload (bench/transcribe_workloads.py) is samples/*.wav copied COPIES times (`samples`,
the default), CLIPS short espeak-ng clips (`short`: where spotq packs clips into shared windows)
or COPIES files of ~40 s (`long`: never packed). Each side runs as a fresh subprocess and is timed
from spawn to exit, so both pay interpreter start, imports and model load (spotq also pays its
embedded stack, worker processes, uploads and result files). Sides alternate over ROUNDS rounds;
the table shows the best and the median round per side, and each side's word error rate.

    .venv/bin/python bench/transcribe_efficiency.py [--copies N] [--rounds R] [--threads T]
    .venv/bin/python bench/transcribe_efficiency.py --workload short [--clips 120] --batch-size 10
    .venv/bin/python bench/transcribe_efficiency.py --workload long --copies 8
    .venv/bin/python bench/transcribe_efficiency.py --quick
    .venv/bin/python bench/transcribe_efficiency.py --spotq-tree before=/tmp/before/src ...

`--spotq-tree NAME=SRC_DIR` adds a side that runs `spotq run` from another source tree (e.g. a
`git worktree` of the parent commit, on PYTHONPATH) with that tree's examples/transcribe.py, so
a change is judged against its parent in the same run; the "best spotq" lines use this tree's
sides only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from transcribe_workloads import build, word_error_rate

ROOT = Path(__file__).resolve().parent.parent
PLAIN = ROOT / "bench" / "transcribe_plain.py"
APP = ROOT / "examples" / "transcribe.py"


@dataclass(frozen=True)
class Side:
    """One way of running the workload: `workers` spotq workers (0 = the plain loop) x threads;
    a plain loop may also be split over `processes` processes (each a share of the files)."""

    workers: int
    threads: int
    processes: int = 1
    tree: tuple[str, str] | None = None  # (name, source dir) of another spotq tree

    @property
    def label(self) -> str:
        if self.workers == 0 and self.processes > 1:
            return f"plain loop, {self.processes} procs x {self.threads} thread(s)"
        if self.workers == 0:
            return f"plain loop, {self.threads} thread(s)"
        label = f"spotq run, {self.workers} worker(s) x {self.threads} thread(s)"
        return f"{label} [{self.tree[0]}]" if self.tree else label


def _env(side: Side) -> dict[str, str]:
    env = {**os.environ, "SPOTQ_WHISPER_THREADS": str(side.threads), "HF_HUB_OFFLINE": "1"}
    env.pop("OMP_NUM_THREADS", None)  # the same (unset) for both sides
    if side.tree is not None:
        env["PYTHONPATH"] = side.tree[1]
    return env


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_side(
    side: Side, files: list[Path], work: Path, batch_size: int | None = None
) -> tuple[float, float, dict[str, str]]:
    """Run one side as subprocesses; return its wall seconds, the CPU seconds of its process
    tree (steadier than wall time on a shared machine) and {file name: text}."""
    tree = side.tree[0] if side.tree else "this"
    out = work / f"out-{side.workers}x{side.threads}x{side.processes}-{tree}"
    shutil.rmtree(out, ignore_errors=True)
    if side.workers == 0:
        out.mkdir()
        commands = [
            [sys.executable, str(PLAIN), str(side.threads), str(out / f"{n}.json"),
             *map(str, files[n :: side.processes])]
            for n in range(side.processes)
        ]  # fmt: skip
    else:
        # another tree runs its own copy of the example app (SRC_DIR/../examples)
        app = Path(side.tree[1]).parent / "examples" / APP.name if side.tree else APP
        commands = [[
            sys.executable, "-m", "spotq.cli", "run", str(app), *map(str, files),
            "--out", str(out), "--max-workers", str(side.workers),
            *(["--batch-size", str(batch_size)] if batch_size else []),
        ]]  # fmt: skip
    started, cpu_before = time.perf_counter(), _children_cpu_s()
    running = [
        subprocess.Popen(c, env=_env(side), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for c in commands
    ]
    outputs = [process.communicate() for process in running]
    elapsed, cpu_s = time.perf_counter() - started, _children_cpu_s() - cpu_before
    for process, (stdout, stderr) in zip(running, outputs, strict=True):
        if process.returncode != 0:
            sys.exit(f"{side.label} failed ({process.returncode}):\n{stdout!r}\n{stderr!r}")
    texts: dict[str, str] = {}
    if side.workers == 0:
        for part in out.glob("*.json"):
            texts.update(json.loads(part.read_text()))
    else:
        for f in files:
            texts[f.name] = json.loads((out / f"{f.name}.json").read_text())["text"]
    return elapsed, cpu_s, texts


def _disagreements(reference: dict[str, str], texts: dict[str, str]) -> list[str]:
    return [name for name, text in reference.items() if texts.get(name) != text]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=("samples", "short", "long"), default="samples")
    parser.add_argument("--copies", type=int, default=12, help="copies (samples, long)")
    parser.add_argument("--clips", type=int, default=120, help="clips (short)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="total CPU threads per side")
    parser.add_argument("--no-spotq-1-worker", action="store_true", help="skip spotq 1 x T")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="spotq run --batch-size (default: the app's own, 2)")  # fmt: skip
    parser.add_argument("--spotq-tree", action="append", default=[], metavar="NAME=SRC_DIR",
                        help="also run spotq from this source tree (repeatable)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="2 copies, 1 round")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    copies, rounds = (2, 1) if args.quick else (args.copies, args.rounds)
    total = args.threads
    sides = [Side(0, total), Side(total, 1)]
    if total > 1:
        sides += [] if args.no_spotq_1_worker else [Side(1, total)]
        sides += [Side(0, 1, processes=total)]
    for item in args.spotq_tree:
        name, _, src = item.partition("=")
        if not name or not (Path(src) / "spotq" / "cli.py").is_file():
            sys.exit(f"--spotq-tree: expected NAME=SRC_DIR with SRC_DIR/spotq/cli.py, got {item!r}")
        sides.append(Side(total, 1, tree=(name, str(Path(src).resolve()))))
    with tempfile.TemporaryDirectory(prefix="spotq-bench-transcribe-") as tmp:
        work = Path(tmp)
        (work / "audio").mkdir()
        workload = build(args.workload, copies, args.clips, work / "audio")
        times: dict[Side, list[float]] = {side: [] for side in sides}
        errors: dict[Side, list[float]] = {side: [] for side in sides}
        cpu: dict[Side, list[float]] = {side: [] for side in sides}
        reference: dict[str, str] | None = None
        for n in range(rounds):
            order = sides if n % 2 == 0 else sides[::-1]
            for side in order:
                elapsed, cpu_s, texts = run_side(side, workload.files, work, args.batch_size)
                times[side].append(elapsed)
                cpu[side].append(cpu_s)
                errors[side].append(word_error_rate(workload.texts, texts))
                print(f"  round {n + 1}: {side.label:42s} {elapsed:6.1f} s  CPU {cpu_s:6.1f} s  "
                      f"WER {errors[side][-1]:.3f}", flush=True)  # fmt: skip
                reference = reference or texts
                wrong = _disagreements(reference, texts)
                if wrong:
                    print(f"    texts differ from the first side's for {len(wrong)} files: "
                          f"{wrong[:3]}")  # fmt: skip
        files, audio_s = len(workload.files), workload.audio_s
        print(f"\nworkload {args.workload}: {files} files, {audio_s:.0f} audio-seconds, "
              f"{rounds} round(s), sides alternating;")  # fmt: skip
        _report(sides, times, errors, workload.audio_s)
        _report_cpu(sides, cpu, workload.audio_s)


def _report(
    sides: list[Side],
    times: dict[Side, list[float]],
    errors: dict[Side, list[float]],
    audio_s: float,
) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print("wall time from spawn to exit (imports, model load, stack start-up included);")
    print(f"load average at the end {load} (the machine is shared: rates use the median round)")
    print(f"{'side':44s} {'best s':>7s} {'median s':>9s} {'audio-s/s':>10s} {'/ plain':>8s} "
          f"{'WER':>6s}")  # fmt: skip
    plain_rate = audio_s / statistics.median(times[sides[0]])
    for side in sides:
        best, median = min(times[side]), statistics.median(times[side])
        rate = audio_s / median
        print(f"{side.label:44s} {best:7.1f} {median:9.1f} {rate:10.1f} {rate / plain_rate:8.2f} "
              f"{statistics.median(errors[side]):6.3f}")  # fmt: skip
    ours = [side for side in sides if side.workers and not side.tree]
    spotq_s = min(statistics.median(times[side]) for side in ours)
    plain_s = min(statistics.median(times[side]) for side in sides if not side.workers)
    print(f"best spotq run / best plain loop (any split of the threads), medians: "
          f"{plain_s / spotq_s:.2f}")  # fmt: skip
    spotq_b = min(min(times[side]) for side in ours)
    plain_b = min(min(times[side]) for side in sides if not side.workers)
    print(f"the same on best rounds: {plain_b / spotq_b:.2f}")
    for side in sides:
        if side.tree:
            other_s = statistics.median(times[side])
            print(f"this tree / {side.tree[0]}, wall-time medians: {other_s / spotq_s:.2f}x "
                  f"({spotq_s:.1f} s vs {other_s:.1f} s)")  # fmt: skip


def _report_cpu(sides: list[Side], cpu: dict[Side, list[float]], audio_s: float) -> None:
    """CPU seconds of each side's whole process tree: what a worker-second buys, and steadier
    than wall time when other people's work shares the cores."""
    print(f"\n{'side':44s} {'CPU s':>7s} {'audio-s per CPU-s':>18s} {'/ plain':>8s}")
    plain = audio_s / statistics.median(cpu[sides[0]])
    for side in sides:
        rate = audio_s / statistics.median(cpu[side])
        print(f"{side.label:44s} {statistics.median(cpu[side]):7.1f} {rate:18.2f} "
              f"{rate / plain:8.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
