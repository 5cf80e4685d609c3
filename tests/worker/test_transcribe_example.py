"""examples/transcribe.py through a real worker process: the real whisper tiny.en model on the
shipped samples, checked for word accuracy."""

from __future__ import annotations

import json
import re
from pathlib import Path

from spotq.app import load_app
from spotq.jobs import JobState
from spotq.storage.base import input_key

from .conftest import WorkerEnv

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
APP = ROOT / "examples" / "transcribe.py"


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()


def word_accuracy(reference: str, hypothesis: str) -> float:
    """1 - word error rate (word-level Levenshtein distance over the reference length)."""
    ref, hyp = _words(reference), _words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i]
        for j, hyp_word in enumerate(hyp, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
            )
        previous = current
    return max(0.0, 1.0 - previous[-1] / max(1, len(ref)))


def test_word_accuracy_measure() -> None:
    assert word_accuracy("The cat sat.", "the cat sat") == 1.0
    assert word_accuracy("a b c d", "a x c") == 0.5


def test_transcribe_example_on_the_shipped_samples(env: WorkerEnv) -> None:
    texts: dict[str, str] = json.loads((SAMPLES / "texts.json").read_text())
    assert len(texts) >= 3
    app = load_app(str(APP))
    for n, name in enumerate(sorted(texts)):
        env.blobs.put(input_key(f"s{n}"), (SAMPLES / name).read_bytes())
        env.send(app, f"s{n}", {}, input_ref=input_key(f"s{n}"), filename=name)
    env.blobs.put(input_key("junk"), b"this is not audio")
    env.send(app, "junk", {}, input_ref=input_key("junk"), filename="junk.wav")
    proc = env.spawn(app, str(APP), "--max-idle-s", "2")
    assert proc.wait(180) == 0
    for n, name in enumerate(sorted(texts)):
        record = env.jobs.get(f"s{n}")
        assert record is not None and record.state is JobState.SUCCEEDED, record
        result = env.result(f"s{n}")
        assert result["language"] == "en"
        assert 3.0 <= result["duration_s"] <= 8.0
        assert result["segments"] and {"start", "end", "text"} <= result["segments"][0].keys()
        accuracy = word_accuracy(texts[name], result["text"])
        assert accuracy >= 0.8, (name, result["text"], accuracy)
    junk = env.jobs.get("junk")
    assert junk is not None and junk.state is JobState.FAILED
    assert junk.last_error is not None and "cannot decode" in junk.last_error
