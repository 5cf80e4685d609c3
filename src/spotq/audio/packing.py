"""Short-clip packing: many short clips share one fixed-length model window, then each clip's
words come back by time.

Whisper pads every input to a 30 s window, so a 3 s clip costs nearly the encoder work of 30 s
of audio. Placing several clips in one window (with silence between them) and splitting the
timed words back by clip pays the encoder once per window instead of once per clip. Pure: no
audio library and no model here, only times.

A word belongs to the clip whose audio it lies in; a word in a gap, to the nearer clip (word
times from whisper's alignment drift by a few tenths of a second, and a segment's last word
often stretches into the silence after it). A word that covers more than STRADDLE_S of two
clips' audio mixes them: both are reported in `Split.mixed` and must be transcribed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WINDOW_S = 30.0  # whisper's input window
GAP_S = 1.0  # silence between packed clips: whisper ends a segment there and times words apart
STRADDLE_S = 0.15  # a word mixes two clips if it covers more than this of the audio of each


@dataclass(frozen=True)
class Placement:
    """One clip in a window: its index in the caller's list and where it starts."""

    index: int
    offset_s: float
    duration_s: float

    @property
    def end_s(self) -> float:
        return self.offset_s + self.duration_s


@dataclass(frozen=True)
class Window:
    """Clips that share one model window, in time order, `gap_s` apart."""

    placements: tuple[Placement, ...]
    gap_s: float

    @property
    def length_s(self) -> float:
        return self.placements[-1].end_s if self.placements else 0.0


@dataclass(frozen=True)
class TimedWord:
    """A word with times in seconds (window times before a split, clip times after) and the
    index of the model's segment it came from."""

    start_s: float
    end_s: float
    text: str
    segment: int = 0


@dataclass(frozen=True)
class Split:
    """A window's words given back per clip index, times relative to each clip; `mixed` names
    the clips whose words cannot be told apart from a neighbour's."""

    words: dict[int, list[TimedWord]]
    mixed: frozenset[int]


def pack(
    durations_s: Sequence[float], *, window_s: float = WINDOW_S, gap_s: float = GAP_S
) -> list[Window]:
    """Clips into as few windows as first-fit decreasing finds; a clip longer than `window_s`
    is a caller's error (it takes the normal, unpacked path)."""
    if any(d > window_s or d < 0 for d in durations_s):
        raise ValueError(f"pack: every clip must be 0..{window_s:g} s long")
    bins: list[list[int]] = []
    used_s: list[float] = []
    for index in sorted(range(len(durations_s)), key=lambda i: (-durations_s[i], i)):
        need_s = durations_s[index]
        for n, filled_s in enumerate(used_s):
            if filled_s + gap_s + need_s <= window_s:
                bins[n].append(index)
                used_s[n] = filled_s + gap_s + need_s
                break
        else:
            bins.append([index])
            used_s.append(need_s)
    return [_place(sorted(members), durations_s, gap_s) for members in bins]


def _place(members: list[int], durations_s: Sequence[float], gap_s: float) -> Window:
    placements, offset_s = [], 0.0
    for index in members:
        placements.append(Placement(index, offset_s, durations_s[index]))
        offset_s += durations_s[index] + gap_s
    return Window(tuple(placements), gap_s)


def split(window: Window, words: Sequence[TimedWord]) -> Split:
    """Each word to the clip whose audio it lies in (or, for a word in a gap, the nearer clip),
    shifted to that clip's time. A word that covers more than STRADDLE_S of two clips' audio
    mixes them."""
    by_clip: dict[int, list[TimedWord]] = {p.index: [] for p in window.placements}
    mixed: set[int] = set()
    for word in words:
        touched = [p for p in window.placements if _overlap_s(word, p) > STRADDLE_S]
        if len(touched) > 1:  # the word runs across a gap: every clip it covers is suspect
            mixed.update(p.index for p in touched)
            continue
        place = touched[0] if touched else _nearest(window, word)
        by_clip[place.index].append(_shift(word, place))
    return Split(by_clip, frozenset(mixed))


def _overlap_s(word: TimedWord, place: Placement) -> float:
    return min(word.end_s, place.end_s) - max(word.start_s, place.offset_s)


def _nearest(window: Window, word: TimedWord) -> Placement:
    middle_s = (word.start_s + word.end_s) / 2
    return min(
        window.placements,
        key=lambda p: max(p.offset_s - middle_s, middle_s - p.end_s, 0.0),
    )


def _shift(word: TimedWord, place: Placement) -> TimedWord:
    start_s = min(max(0.0, word.start_s - place.offset_s), place.duration_s)
    end_s = min(max(start_s, word.end_s - place.offset_s), place.duration_s)
    return TimedWord(start_s, end_s, word.text, word.segment)
