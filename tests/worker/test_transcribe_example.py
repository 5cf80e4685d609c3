"""examples/transcribe.py through a real worker process: the real whisper tiny.en model on the
shipped samples (packed into one window) and a long file made of them (the normal path), checked
for word accuracy; and the rule that sends a packed clip back to be transcribed alone."""

from __future__ import annotations

import io
import json
import re
import wave
from pathlib import Path
from typing import Any

import pytest

from spotq.app import Job, load_app
from spotq.audio.packing import TimedWord, Window, pack
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


def _long_wav(names: list[str], pause_s: float) -> bytes:
    """The samples one after another with `pause_s` of silence between: one long file."""
    frames, rate = b"", 16_000
    for name in names:
        with wave.open(str(SAMPLES / name)) as wav:
            rate = wav.getframerate()
            frames += wav.readframes(wav.getnframes()) + b"\x00\x00" * int(pause_s * rate)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return out.getvalue()


def test_transcribe_example_on_the_shipped_samples(env: WorkerEnv) -> None:
    texts: dict[str, str] = json.loads((SAMPLES / "texts.json").read_text())
    assert len(texts) >= 3
    app = load_app(str(APP))
    for n, name in enumerate(sorted(texts)):
        env.blobs.put(input_key(f"s{n}"), (SAMPLES / name).read_bytes())
        env.send(app, f"s{n}", {}, input_ref=input_key(f"s{n}"), filename=name)
    env.blobs.put(input_key("junk"), b"this is not audio")
    env.send(app, "junk", {}, input_ref=input_key("junk"), filename="junk.wav")
    env.blobs.put(input_key("long"), _long_wav(sorted(texts), pause_s=2.0))  # ~26 s: not packed
    env.send(app, "long", {}, input_ref=input_key("long"), filename="long.wav")
    proc = env.spawn(app, str(APP), "--max-idle-s", "2")
    assert proc.wait(240) == 0
    for n, name in enumerate(sorted(texts)):
        record = env.jobs.get(f"s{n}")
        assert record is not None and record.state is JobState.SUCCEEDED, record
        result = env.result(f"s{n}")
        assert result["language"] == "en"
        assert 3.0 <= result["duration_s"] <= 8.0
        assert result["segments"] and {"start", "end", "text"} <= result["segments"][0].keys()
        # times are the clip's own, not the packed window's
        assert all(0 <= s["start"] <= s["end"] <= result["duration_s"] for s in result["segments"])
        accuracy = word_accuracy(texts[name], result["text"])
        assert accuracy >= 0.8, (name, result["text"], accuracy)
    junk = env.jobs.get("junk")
    assert junk is not None and junk.state is JobState.FAILED
    assert junk.last_error is not None and "cannot decode" in junk.last_error
    long = env.result("long")
    assert 24.0 <= long["duration_s"] <= 30.0
    assert long["segments"][-1]["end"] > 20.0
    everything = " ".join(texts[name] for name in sorted(texts))
    assert word_accuracy(everything, long["text"]) >= 0.8, long["text"]


def _example() -> dict[str, Any]:
    """The example module's namespace (load_app imports it under a name of its own)."""
    handler = load_app(str(APP)).handle_fn
    assert handler is not None
    return handler.__globals__


def test_a_clip_whose_words_cross_a_gap_or_that_got_none_is_sent_back() -> None:
    clip_results = _example()["clip_results"]
    windows = pack([2.0, 2.0, 2.0, 2.0], gap_s=1.0)  # one window: clips at 0, 3, 6 and 9 s
    words = [
        TimedWord(0.1, 0.9, " Turn", 0),
        TimedWord(1.0, 1.8, " left.", 0),
        TimedWord(3.2, 3.9, " Call", 1),
        TimedWord(4.0, 6.4, " home.", 1),  # runs from clip 1 into clip 2
        TimedWord(6.5, 7.5, " Stop.", 2),
    ]  # and clip 3 got no words at all
    results = clip_results(windows, [words], [2.0] * 4, "en")
    assert results[1:] == [None, None, None]
    assert results[0] == {
        "text": "Turn left.",
        "language": "en",
        "duration_s": 2.0,
        "segments": [{"start": 0.1, "end": 1.8, "text": "Turn left."}],
    }


def test_clips_sent_back_are_transcribed_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    app = load_app(str(APP))
    assert app.handle_fn is not None
    namespace = app.handle_fn.__globals__
    monkeypatch.setitem(namespace, "clip_results", lambda w, x, durations_s, lang: [None] * 2)
    names = ["report.wav", "train.wav"]
    texts: dict[str, str] = json.loads((SAMPLES / "texts.json").read_text())
    jobs = [Job(id=n, input={}, filename=n, data=(SAMPLES / n).read_bytes()) for n in names]
    results = app.handle(app.load_model(), jobs)
    for name, result in zip(names, results, strict=True):
        assert word_accuracy(texts[name], result["text"]) >= 0.8, result
        assert result["segments"][0]["start"] == 0.0  # whisper's own segment times: per file


def test_clips_sent_back_are_packed_again_before_any_runs_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = load_app(str(APP))
    assert app.handle_fn is not None
    namespace = app.handle_fn.__globals__
    real = namespace["clip_results"]
    gaps_s: list[float] = []

    def first_pass_sends_all_back(
        windows: list[Window], words: Any, durations_s: list[float], language: str
    ) -> Any:
        gaps_s.append(windows[0].gap_s)
        if len(gaps_s) == 1:
            return [None] * len(durations_s)
        return real(windows, words, durations_s, language)

    def alone(*args: Any) -> Any:
        raise AssertionError("a clip was transcribed alone")

    monkeypatch.setitem(namespace, "clip_results", first_pass_sends_all_back)
    monkeypatch.setitem(namespace, "_transcribe", alone)
    names = ["report.wav", "train.wav"]
    texts: dict[str, str] = json.loads((SAMPLES / "texts.json").read_text())
    jobs = [Job(id=n, input={}, filename=n, data=(SAMPLES / n).read_bytes()) for n in names]
    results = app.handle(app.load_model(), jobs)
    assert gaps_s == [1.0, 2.0]  # the second pass leaves more room between the clips
    for name, result in zip(names, results, strict=True):
        assert word_accuracy(texts[name], result["text"]) >= 0.8, result


def _samples(name: str) -> Any:
    import numpy as np

    with wave.open(str(SAMPLES / name)) as wav:
        frames = wav.readframes(wav.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0


def test_words_are_timed_only_in_the_windows_whose_segments_need_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two windows: [garden, kitchen] comes back as one segment per clip and is split by segment
    times alone; [train, 1.5 s of silence] leaves the silent clip without a segment, so only
    that window is word-timed (its encoder output sliced out of the batch's)."""
    import numpy as np

    namespace = _example()
    model = load_app(str(APP)).load_model()
    names = ["garden.wav", "kitchen.wav", "train.wav"]
    clips = [_samples(n) for n in names] + [np.zeros(24_000, dtype=np.float32)]
    windows = pack([len(c) / 16_000 for c in clips], window_s=12.0, gap_s=1.0)
    assert [[p.index for p in w.placements] for w in windows] == [[0, 1], [2, 3]]
    pipelines: list[Any] = []
    real = namespace["_pipeline"]

    def recorded(model: Any, windows: Any) -> Any:
        pipelines.append(real(model, windows))
        return pipelines[-1]

    monkeypatch.setitem(namespace, "_pipeline", recorded)
    results = namespace["_transcribe_packed"](model, clips, "en", 1, 12.0, 1.0)
    assert pipelines[0].timed_words == {1}
    assert pipelines[0].resumed == {(1, 3)}  # decoded again from its time, and not kept:
    texts: dict[str, str] = json.loads((SAMPLES / "texts.json").read_text())
    for name, result in zip(names, results[:3], strict=True):
        assert word_accuracy(texts[name], result["text"]) >= 0.8, result
        assert 0.0 <= result["segments"][0]["start"] < result["segments"][-1]["end"] <= 5.0
    assert results[3] is None  # whisper repeated the train clip's words; none lie in this clip


def test_a_window_that_whisper_ended_early_is_decoded_again_from_the_dropped_clip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whisper sometimes ends a window before its last clip; the clip is decoded again from the
    window's encoder output (no second encode, no transcription alone)."""
    from faster_whisper import BatchedInferencePipeline

    real_forward = BatchedInferencePipeline.forward

    def ends_early(self: Any, *args: Any) -> Any:
        outputs = real_forward(self, *args)
        outputs[0] = [s for s in outputs[0] if s["start"] < 5.0]  # the first clip's only
        return outputs

    def alone(*args: Any) -> Any:
        raise AssertionError("a clip was transcribed alone")

    app = load_app(str(APP))
    assert app.handle_fn is not None
    namespace = app.handle_fn.__globals__
    monkeypatch.setattr(BatchedInferencePipeline, "forward", ends_early)
    monkeypatch.setitem(namespace, "_transcribe", alone)
    pipelines: list[Any] = []
    real = namespace["_pipeline"]
    monkeypatch.setitem(
        namespace, "_pipeline", lambda *a: pipelines.append(real(*a)) or pipelines[-1]
    )
    names = ["report.wav", "train.wav"]
    texts: dict[str, str] = json.loads((SAMPLES / "texts.json").read_text())
    jobs = [Job(id=n, input={}, filename=n, data=(SAMPLES / n).read_bytes()) for n in names]
    results = app.handle(app.load_model(), jobs)
    assert pipelines[0].resumed == {(0, 1)}
    for name, result in zip(names, results, strict=True):
        assert word_accuracy(texts[name], result["text"]) >= 0.8, result
        assert 0.0 <= result["segments"][0]["start"] < result["segments"][-1]["end"] <= 5.0


def test_a_stream_partial_encodes_only_the_audio_so_far() -> None:
    """A partial's window is the audio so far in whole seconds plus 1 s (here 600 frames, not
    whisper's 3,000), and its words are still right; a final keeps the full 30 s window."""
    import numpy as np

    namespace = _example()
    model = load_app(str(APP)).load_model()
    frames: list[int] = []
    real_encode = model.model.encode

    class Recording:
        def __getattr__(self, name: str) -> Any:
            return getattr(real_model, name)

        def encode(self, features: Any, *args: Any, **kwargs: Any) -> Any:
            frames.append(features.shape[-1])
            return real_encode(features, *args, **kwargs)

    real_model = model.model
    model.model = Recording()
    texts: dict[str, str] = json.loads((SAMPLES / "texts.json").read_text())
    audio = _samples("kitchen.wav")  # 4.5 s
    partial = namespace["stream"](model, audio, False)["text"]
    final = namespace["stream"](model, audio, True)["text"]
    assert frames == [600, 3000]
    assert word_accuracy(texts["kitchen.wav"], partial) >= 0.8, partial
    assert word_accuracy(texts["kitchen.wav"], final) >= 0.8, final
    long_audio = np.concatenate([audio] * 8)  # 36 s: the partial's window stops at 30 s
    assert namespace["stream"](model, long_audio, False)["text"]
    assert frames[-1] == 3000
