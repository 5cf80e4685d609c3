"""Workloads for bench/transcribe_efficiency.py, each a list of audio files with known texts, and
the word error rate of a side's transcripts against those texts.

- samples: samples/*.wav copied COPIES times (4.0-4.7 s clips; issue 3's workload)
- short:   CLIPS espeak-ng clips of 1.4-3.6 s (bench/shortclips.py; needs espeak-ng and sox)
- long:    COPIES files of 38-43 s, each all the samples twice with 1 s pauses (never packed)
"""

from __future__ import annotations

import json
import re
import shutil
import wave
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SHORTCLIPS = ROOT / "bench" / ".shortclips"


@dataclass(frozen=True)
class Workload:
    files: list[Path]
    texts: dict[str, str]  # file name -> what is said
    audio_s: float


def build(kind: str, copies: int, clips: int, into: Path) -> Workload:
    """Write the workload's files into `into`."""
    if kind == "samples":
        return _copies(copies, into)
    if kind == "short":
        return _short(clips, into)
    if kind == "long":
        return _long(copies, into)
    raise ValueError(f"unknown workload {kind!r}")


def _seconds(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return float(wav.getnframes()) / float(wav.getframerate())


def _copies(copies: int, into: Path) -> Workload:
    known: dict[str, str] = json.loads((SAMPLES / "texts.json").read_text())
    files, texts, audio_s = [], {}, 0.0
    for sample in sorted(SAMPLES.glob("*.wav")):
        for n in range(copies):
            target = into / f"c{n:03d}-{sample.name}"
            shutil.copyfile(sample, target)
            files.append(target)
            texts[target.name] = known[sample.name]
            audio_s += _seconds(sample)
    return Workload(files, texts, audio_s)


def _short(clips: int, into: Path) -> Workload:
    from shortclips import make_clips  # bench/ is on sys.path when a bench script runs

    known = make_clips(SHORTCLIPS, clips)
    files, audio_s = [], 0.0
    for name in known:
        shutil.copyfile(SHORTCLIPS / name, into / name)
        files.append(into / name)
        audio_s += _seconds(into / name)
    return Workload(files, known, audio_s)


def _long(copies: int, into: Path) -> Workload:
    known: dict[str, str] = json.loads((SAMPLES / "texts.json").read_text())
    names = sorted(known) * 2
    frames, rate = b"", 16_000
    for name in names:
        with wave.open(str(SAMPLES / name)) as wav:
            rate = wav.getframerate()
            frames += wav.readframes(wav.getnframes()) + b"\x00\x00" * rate  # 1 s pause
    files, texts = [], {}
    for n in range(copies):
        target = into / f"long{n:03d}.wav"
        with wave.open(str(target), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(frames)
        files.append(target)
        texts[target.name] = " ".join(known[name] for name in names)
    return Workload(files, texts, copies * len(frames) / 2 / rate)


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()


def _edits(reference: list[str], hypothesis: list[str]) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
            )
        previous = current
    return previous[-1]


def word_error_rate(texts: dict[str, str], transcripts: dict[str, str]) -> float:
    """Word edits over reference words, summed over every file (a missing file counts whole)."""
    edits = total = 0
    for name, reference in texts.items():
        ref = _words(reference)
        edits += _edits(ref, _words(transcripts.get(name, "")))
        total += len(ref)
    return edits / max(1, total)
