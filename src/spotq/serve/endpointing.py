"""Energy-based endpointing: where an utterance starts and ends in a stream of 16 kHz PCM16.

Audio is cut into 20 ms frames; a frame is speech when its RMS level is above
`speech_threshold_dbfs`. An utterance starts at the first speech frame (with 200 ms of the audio
before it, so a soft onset is not clipped) and ends after `endpoint_silence_ms` without speech,
or when it reaches `max_utterance_s`. Pure: samples in, utterances out.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

import numpy as np

from spotq.serve.settings import SAMPLE_RATE_HZ, StreamSettings

FRAME_SAMPLES = SAMPLE_RATE_HZ // 50  # 20 ms
_PREROLL_FRAMES = 10  # 200 ms
_FULL_SCALE = 32768.0


@dataclass(frozen=True)
class Utterance:
    """One utterance: its audio (float32 in [-1, 1]) and where it sits in the stream."""

    index: int
    audio: np.ndarray
    start_s: float
    end_s: float  # the end of its last speech frame
    end_sample: int  # the same, in samples from the start of the stream


def frame_dbfs(frame: np.ndarray) -> float:
    """RMS level of int16 samples in dB relative to full scale (-120 for silence)."""
    rms = float(np.sqrt(np.mean(np.square(frame.astype(np.float64))))) / _FULL_SCALE
    return -120.0 if rms <= 1e-6 else 20.0 * float(np.log10(rms))


class Endpointer:
    def __init__(self, settings: StreamSettings) -> None:
        self._threshold = settings.speech_threshold_dbfs
        self._silence_frames = max(1, round(settings.endpoint_silence_ms / 20))
        self._max_frames = round(settings.max_utterance_s * 50)
        self._pending = np.zeros(0, dtype=np.int16)  # less than one frame, carried over
        self._preroll: collections.deque[np.ndarray] = collections.deque(maxlen=_PREROLL_FRAMES)
        self._frames: list[np.ndarray] = []  # the open utterance, frame by frame
        self._start_sample = 0
        self._last_speech_sample = 0  # end of the last speech frame
        self._quiet_frames = 0
        self._seen = 0  # samples framed so far
        self._count = 0

    @property
    def in_utterance(self) -> bool:
        return bool(self._frames)

    @property
    def open_samples(self) -> int:
        """Samples in the open utterance so far (0 when none is open)."""
        return sum(len(f) for f in self._frames)

    @property
    def next_index(self) -> int:
        return self._count

    @property
    def quiet_ms(self) -> int:
        """Quiet since the open utterance's last speech frame (0 while speech goes on)."""
        return self._quiet_frames * 20 if self._frames else 0

    @property
    def speech_end_sample(self) -> int:
        """Where the open utterance's speech ends so far: its Utterance.end_sample if it were
        closed now (so a decode started at this point can be matched with its final)."""
        return max(self._last_speech_sample, self._start_sample)

    def open_audio(self) -> np.ndarray:
        """The open utterance so far, for a partial transcript."""
        return _to_float(self._frames)

    def feed(self, samples: np.ndarray) -> list[Utterance]:
        """Add int16 samples; return the utterances they finished."""
        data = np.concatenate([self._pending, samples]) if len(self._pending) else samples
        whole = len(data) - len(data) % FRAME_SAMPLES
        self._pending = data[whole:].copy()
        done: list[Utterance] = []
        for start in range(0, whole, FRAME_SAMPLES):
            finished = self._frame(data[start : start + FRAME_SAMPLES])
            if finished is not None:
                done.append(finished)
        return done

    def flush(self) -> Utterance | None:
        """End the open utterance now (the client said "end", or the server is draining)."""
        if len(self._pending) and self._frames:
            self._frames.append(self._pending)
        self._pending = np.zeros(0, dtype=np.int16)
        return self._close() if self._frames else None

    def _frame(self, frame: np.ndarray) -> Utterance | None:
        speech = frame_dbfs(frame) > self._threshold
        self._seen += len(frame)
        if not self._frames:
            if not speech:
                self._preroll.append(frame)
                return None
            self._frames = [*self._preroll, frame]
            self._preroll.clear()
            self._start_sample = self._seen - sum(len(f) for f in self._frames)
        else:
            self._frames.append(frame)
        if speech:
            self._last_speech_sample = self._seen
            self._quiet_frames = 0
        else:
            self._quiet_frames += 1
        if self._quiet_frames >= self._silence_frames or len(self._frames) >= self._max_frames:
            return self._close()
        return None

    def _close(self) -> Utterance:
        audio = _to_float(self._frames)
        end_sample = self.speech_end_sample
        utterance = Utterance(
            self._count,
            audio,
            self._start_sample / SAMPLE_RATE_HZ,
            end_sample / SAMPLE_RATE_HZ,
            end_sample,
        )
        self._count += 1
        self._frames, self._quiet_frames = [], 0
        return utterance


def _to_float(frames: list[np.ndarray]) -> np.ndarray:
    if not frames:
        return np.zeros(0, dtype=np.float32)
    return (np.concatenate(frames).astype(np.float32) / _FULL_SCALE).astype(np.float32)
