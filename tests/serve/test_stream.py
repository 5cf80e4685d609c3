"""WebSocket /v1/stream on a real `spotq serve`: partials, finals, endpointing, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from .conftest import (
    SLOW_ECHO,
    Served,
    frames,
    heard_samples,
    http,
    predict,
    run_stream,
    speech_like,
    start_serve,
)

END = json.dumps({"type": "end"})


def test_two_utterances_give_two_finals_in_order_then_a_normal_close(echo_server: Served) -> None:
    audio = np.concatenate([speech_like(1.0, pause_s=0.8), speech_like(1.2, pause_s=0.8)])
    log = run_stream(echo_server.ws_url, [*frames(audio), END], pace_s=0.01)
    assert log.code == 1000
    finals = log.finals
    assert [f["utterance"] for f in finals] == [0, 1]
    assert finals[0]["start_s"] == pytest.approx(0.0, abs=0.25)
    assert finals[0]["end_s"] == pytest.approx(1.0, abs=0.05)
    assert finals[1]["start_s"] == pytest.approx(1.8, abs=0.25)
    assert all(str(f["text"]).startswith("final ") for f in finals)
    assert log.messages[-1]["type"] == "final"  # nothing after the last final


def test_a_final_decoded_at_the_first_pause_is_sent_when_the_utterance_ends(
    echo_server: Served,
) -> None:
    # 1 s of speech, then quiet: the decode starts after 120 ms of it (--speculate-after-ms),
    # not after the 400 ms that end the utterance, and that decode is the final.
    log = run_stream(echo_server.ws_url, [*frames(speech_like(1.0, pause_s=0.8)), END], 0.01)
    assert [f["utterance"] for f in log.finals] == [0]
    (heard,) = [heard_samples(f) for f in log.finals]
    assert 16_000 + 120 * 16 <= heard <= 16_000 + 300 * 16  # speech + 120-300 ms of quiet
    assert log.finals[0]["end_s"] == pytest.approx(1.0, abs=0.05)


def test_speech_after_a_short_pause_makes_the_early_decode_stale(echo_server: Served) -> None:
    # A 250 ms pause starts a decode of the first second; speech resumes before the endpoint,
    # so the one final must be decoded from all of the utterance, not from that first second.
    audio = np.concatenate([speech_like(1.0, pause_s=0.25), speech_like(1.0, pause_s=0.8)])
    log = run_stream(echo_server.ws_url, [*frames(audio), END], 0.01)
    assert [f["utterance"] for f in log.finals] == [0]
    (heard,) = [heard_samples(f) for f in log.finals]
    assert heard >= int(2.25 * 16_000) + 120 * 16
    assert log.finals[0]["end_s"] == pytest.approx(2.25, abs=0.05)


def test_partials_arrive_while_an_utterance_goes_on(echo_server: Served) -> None:
    audio = speech_like(3.0, pause_s=0.6)
    log = run_stream(echo_server.ws_url, [*frames(audio), END], pace_s=0.05)
    kinds = [m["type"] for m in log.messages]
    assert "partial" in kinds
    assert kinds.index("partial") < kinds.index("final")
    assert all(m["utterance"] == 0 for m in log.messages)


def test_end_flushes_an_utterance_that_is_still_open(echo_server: Served) -> None:
    log = run_stream(echo_server.ws_url, [*frames(speech_like(1.0, pause_s=0)), END])
    assert (log.code, len(log.finals)) == (1000, 1)


@pytest.mark.parametrize(
    ("chunks", "query", "code", "words"),
    [
        ([b"\x01\x02\x03"], "", 1003, "even number of bytes"),
        (["{not json"], "", 1003, "must be JSON"),
        ([json.dumps({"type": "dance"})], "", 1003, "unknown message type"),
        ([json.dumps({"type": "start", "sample_rate": 44100})], "", 1003, "44100"),
        ([], "?sample_rate=8000", 1003, "8000"),
        ([b"\x00" * 300_000], "", 1009, ""),
    ],
)
def test_bad_input_closes_with_a_clear_code_and_the_server_keeps_serving(
    echo_server: Served, chunks: list[bytes | str], query: str, code: int, words: str
) -> None:
    log = run_stream(echo_server.ws_url + query, chunks)
    assert log.code == code
    if words:
        assert words in log.reason
        assert log.messages[-1]["type"] == "error" and words in str(log.messages[-1]["detail"])
    assert predict(echo_server.url, {"input": {"still": 1}})[0] == 200
    assert run_stream(echo_server.ws_url, [*frames(speech_like(0.5)), END]).code == 1000
    assert http(echo_server.url, "GET", "/metrics")[0] == 200


def test_a_client_that_never_sends_is_closed_after_the_idle_timeout() -> None:
    served = start_serve(SLOW_ECHO, "--idle-timeout-s", "1")
    try:
        log = run_stream(served.ws_url, [])
        assert log.code == 1008 and "idle" in log.reason
        assert predict(served.url, {"input": {}})[0] == 200
    finally:
        assert served.stop() == 0


def test_streams_need_the_key_when_one_is_set() -> None:
    from websockets.exceptions import InvalidStatus

    served = start_serve(SLOW_ECHO, "--api-key", "k")
    try:
        with pytest.raises(InvalidStatus):
            run_stream(served.ws_url, [END])
        ok = run_stream(served.ws_url, [END], headers={"Authorization": "Bearer k"})
        assert ok.code == 1000
    finally:
        assert served.stop() == 0
