"""Short-clip packing: windows, and words back to their clips by time."""

from __future__ import annotations

import pytest

from spotq.audio.packing import TimedWord, Window, pack, split


def _members(windows: list[Window]) -> list[list[int]]:
    return [[p.index for p in w.placements] for w in windows]


def test_pack_fills_windows_first_fit_decreasing_with_gaps() -> None:
    windows = pack([4.0, 20.0, 4.0, 9.0, 1.5], window_s=30.0, gap_s=1.0)
    # 20 + 1 + 9 = 30 fits exactly; 4 + 1 + 4 + 1 + 1.5 = 11.5 in the second window
    assert _members(windows) == [[1, 3], [0, 2, 4]]
    first, second = windows
    assert [p.offset_s for p in first.placements] == [0.0, 21.0]
    assert [p.offset_s for p in second.placements] == [0.0, 5.0, 10.0]
    assert first.length_s == 30.0 and second.length_s == 11.5


def test_pack_every_clip_exactly_once_and_within_the_window() -> None:
    durations = [0.5 + (n * 7 % 11) / 2 for n in range(40)]
    windows = pack(durations, window_s=30.0, gap_s=1.0)
    assert sorted(i for members in _members(windows) for i in members) == list(range(40))
    assert all(w.length_s <= 30.0 for w in windows)
    assert len(windows) <= sum(d + 1.0 for d in durations) / 30.0 + 2


def test_pack_refuses_a_clip_longer_than_the_window() -> None:
    with pytest.raises(ValueError, match=r"0\.\.30"):
        pack([31.0])
    assert pack([]) == []


def test_split_gives_words_back_relative_to_each_clip() -> None:
    (window,) = pack([2.0, 3.0], gap_s=1.0)  # in index order within the window
    assert [(p.index, p.offset_s) for p in window.placements] == [(0, 0.0), (1, 3.0)]
    words = [
        TimedWord(0.1, 0.5, " Hello", 0),
        TimedWord(0.6, 1.9, " there.", 0),
        TimedWord(3.2, 3.8, " Next", 1),
        TimedWord(3.9, 5.95, " one.", 1),
    ]
    result = split(window, words)
    assert result.mixed == frozenset()
    assert [w.text for w in result.words[0]] == [" Hello", " there."]
    assert [(w.start_s, w.end_s) for w in result.words[1]] == [
        pytest.approx((0.2, 0.8)),
        pytest.approx((0.9, 2.95)),
    ]


def test_a_word_across_the_gap_marks_its_clip_mixed() -> None:
    (window,) = pack([2.0, 2.0, 2.0], gap_s=1.0)  # clips at 0, 3 and 6 s
    words = [
        TimedWord(0.2, 1.0, " a"),
        TimedWord(1.5, 3.6, " straddles"),  # from clip 0's span into clip 1's
        TimedWord(6.5, 7.0, " c"),
    ]
    result = split(window, words)
    assert result.mixed == frozenset({0, 1})
    assert [w.text for w in result.words[2]] == [" c"]
    assert result.words[1] == []


def test_words_in_the_gap_go_to_the_nearer_clip_and_times_are_clamped() -> None:
    (window,) = pack([2.0, 2.0], gap_s=1.0)  # clips at 0-2 and 3-5 s; boundary at 2.5 s
    words = [
        TimedWord(2.05, 2.4, " late"),
        TimedWord(2.6, 3.1, " early"),
        TimedWord(5.0, 6.0, " x"),
    ]
    result = split(window, words)
    assert result.mixed == frozenset()
    assert [(w.text, w.start_s, w.end_s) for w in result.words[0]] == [(" late", 2.0, 2.0)]
    early, tail = result.words[1]
    assert (early.start_s, early.end_s) == (0.0, pytest.approx(0.1))
    assert (tail.start_s, tail.end_s) == (2.0, 2.0)  # past the last clip: not mixed, clamped


def test_drifted_and_stretched_word_times_stay_with_their_clip() -> None:
    # Seen on packed espeak clips: alignment times run a few tenths early, and a segment's last
    # word stretches through the gap up to (and a little into) the next clip. Before, such words
    # marked both clips mixed and sent them back for a second pass.
    (window,) = pack([2.0, 2.0, 2.0], gap_s=0.5)  # clips at 0-2, 2.5-4.5 and 5-7 s
    words = [
        TimedWord(0.1, 1.0, " one"),
        TimedWord(1.0, 2.6, " stretched."),  # 0.1 s into clip 1's audio: not a straddle
        TimedWord(2.1, 3.0, " early"),  # starts in the gap, lies in clip 1
        TimedWord(3.0, 4.9, " late."),  # 0.4 s past clip 1's end, short of clip 2's start
        TimedWord(4.7, 4.95, " tiny"),  # wholly in the gap, nearer clip 2
        TimedWord(5.2, 6.0, " three"),
    ]
    result = split(window, words)
    assert result.mixed == frozenset()
    assert [[w.text for w in result.words[n]] for n in range(3)] == [
        [" one", " stretched."],
        [" early", " late."],
        [" tiny", " three"],
    ]
    assert [(w.start_s, w.end_s) for w in result.words[1]] == [
        (0.0, pytest.approx(0.5)),
        (pytest.approx(0.5), 2.0),
    ]


def test_a_word_covering_two_clips_audio_marks_both_mixed() -> None:
    (window,) = pack([2.0, 2.0, 2.0], gap_s=0.5)  # clips at 0-2, 2.5-4.5 and 5-7 s
    result = split(window, [TimedWord(1.7, 2.8, " merged"), TimedWord(5.1, 5.5, " c")])
    assert result.mixed == frozenset({0, 1})  # 0.3 s of clip 0 and 0.3 s of clip 1
    assert [w.text for w in result.words[2]] == [" c"]
