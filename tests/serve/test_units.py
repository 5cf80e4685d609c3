"""Pure parts of `spotq serve`: endpointing, the model lane, the batcher's rules, settings."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from spotq.api.errors import Overloaded
from spotq.app import App, AppOptions, Job, JobFailed
from spotq.errors import AppError, ConfigError
from spotq.serve.batcher import MicroBatcher, run_jobs
from spotq.serve.endpointing import Endpointer, frame_dbfs
from spotq.serve.lane import ModelLane, Priority
from spotq.serve.metrics import ServeMetrics
from spotq.serve.settings import ServeSettings, StreamSettings

from .conftest import speech_like


def test_loud_frames_are_speech_and_silence_is_not() -> None:
    assert frame_dbfs(np.zeros(320, dtype="<i2")) == -120.0
    assert frame_dbfs(speech_like(0.02, pause_s=0)) > -20


def test_an_utterance_ends_after_the_configured_silence_with_its_times() -> None:
    ep = Endpointer(StreamSettings(endpoint_silence_ms=400))
    audio = np.concatenate([np.zeros(8000, dtype="<i2"), speech_like(1.0, pause_s=0.5)])
    done = ep.feed(audio)
    assert len(done) == 1
    (utterance,) = done
    assert utterance.start_s == pytest.approx(0.3, abs=0.03)  # 200 ms of lead-in kept
    assert utterance.end_s == pytest.approx(1.5, abs=0.03)
    assert not ep.in_utterance and ep.flush() is None


def test_short_pauses_do_not_split_an_utterance_and_odd_chunks_are_carried() -> None:
    ep = Endpointer(StreamSettings(endpoint_silence_ms=400))
    audio = np.concatenate([speech_like(0.5, pause_s=0.2), speech_like(0.5, pause_s=0.6)])
    done = [u for k in range(0, len(audio), 333) for u in ep.feed(audio[k : k + 333])]
    assert len(done) == 1 and done[0].end_s == pytest.approx(1.2, abs=0.03)


def test_long_speech_is_cut_at_max_utterance_and_flush_ends_the_open_one() -> None:
    ep = Endpointer(StreamSettings(max_utterance_s=1.0))
    done = ep.feed(speech_like(2.5, pause_s=0))
    assert len(done) == 2 and all(len(u.audio) == 16_000 for u in done)
    last = ep.flush()
    assert last is not None and last.index == 2


def test_the_lane_runs_one_call_at_a_time_in_priority_order() -> None:
    order: list[str] = []
    gate = threading.Event()
    running = 0
    peak = 0

    def call(name: str) -> str:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        if name == "first":
            gate.wait(5)
        order.append(name)
        running -= 1
        return name

    async def main() -> list[str]:
        lane = ModelLane()
        lane.start()
        first = asyncio.ensure_future(lane.call(Priority.BATCH, lambda: call("first")))
        await asyncio.sleep(0.05)
        rest = [
            asyncio.ensure_future(lane.call(priority, lambda n=name: call(n)))
            for priority, name in [
                (Priority.PARTIAL, "partial"),
                (Priority.BATCH, "batch"),
                (Priority.FINAL, "final"),
            ]
        ]
        await asyncio.sleep(0.05)
        gate.set()
        results = await asyncio.gather(first, *rest)
        await lane.close()
        return results

    assert asyncio.run(main()) == ["first", "partial", "batch", "final"]
    assert order == ["first", "final", "batch", "partial"] and peak == 1


def test_a_raising_batch_is_rerun_job_by_job_so_only_the_bad_one_fails() -> None:
    def handle(model: Any, jobs: list[Job]) -> list[Any]:
        if any(j.input.get("bad") for j in jobs):
            raise ValueError("bad input")
        return [j.input for j in jobs]

    app = App("t", handler=handle)
    jobs = [Job("a", {"x": 1}), Job("b", {"bad": True}), Job("c", {"x": 3})]
    results = run_jobs(app, None, jobs)
    assert results[0] == {"x": 1} and results[2] == {"x": 3}
    assert isinstance(results[1], ValueError)
    failed = run_jobs(App("t", handler=lambda m, js: [JobFailed("no")] * len(js)), None, jobs[:1])
    assert isinstance(failed[0], JobFailed)


def test_the_batcher_sheds_when_the_expected_wait_breaks_the_budget() -> None:
    app = App(
        "t", handler=lambda model, jobs: [time.sleep(0.2) or {} for _ in jobs[:1]] * len(jobs)
    )
    options = AppOptions(batch_size=2, latency_budget_ms=300, max_batch_wait_ms=0)

    async def main() -> tuple[int, list[float]]:
        lane = ModelLane()
        lane.start()
        batcher = MicroBatcher(app, lambda: None, lane, ServeSettings(options), ServeMetrics())
        batcher.start()
        await batcher.submit(Job("warm", {}))  # learns that a call takes ~0.2 s
        outcomes = await asyncio.gather(
            *(batcher.submit(Job(str(i), {})) for i in range(10)), return_exceptions=True
        )
        await batcher.close()
        await lane.close()
        shed = [o for o in outcomes if isinstance(o, Overloaded)]
        return len(shed), [o.retry_after_s for o in shed]

    count, retry_after = asyncio.run(main())
    assert 0 < count < 10
    assert all(r > 0 for r in retry_after)


def test_settings_refuse_exposure_without_a_key_and_bad_options() -> None:
    with pytest.raises(ConfigError, match="API key is required"):
        ServeSettings(AppOptions(), host="0.0.0.0")
    assert ServeSettings(AppOptions(), host="0.0.0.0", api_key="k").api_key == "k"
    with pytest.raises(AppError, match="max_batch_wait_ms"):
        AppOptions(max_batch_wait_ms=-1)
    with pytest.raises(AppError, match="rps_per_task"):
        AppOptions(rps_per_task=0)
    with pytest.raises(ConfigError):
        StreamSettings(max_streams=0)


@pytest.mark.parametrize(
    ("option", "value"),
    [("--batch-size", "0"), ("--max-batch-wait-ms", "-5"), ("--latency-budget-ms", "0")],
)
def test_serve_names_the_option_an_override_is_refused_for(option: str, value: str) -> None:
    app = str(Path(__file__).parent / "apps" / "slow_echo.py")
    command = [sys.executable, "-m", "spotq.cli", "serve", app, option, value, "--port", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"Error: {option} {value}" in done.stderr, done.stderr


def _batcher_run(scenario: Any, wait_ms: int = 200, batch_size: int = 4) -> Any:
    app = App("t", handler=lambda model, jobs: [time.sleep(0.05) or {} for _ in jobs])
    options = AppOptions(batch_size=batch_size, max_batch_wait_ms=wait_ms)

    async def main() -> Any:
        lane = ModelLane()
        lane.start()
        batcher = MicroBatcher(app, lambda: None, lane, ServeSettings(options), ServeMetrics())
        batcher.start()
        try:
            return await scenario(batcher)
        finally:
            await batcher.close()
            await lane.close()

    return asyncio.run(main())


def test_bursts_of_arrivals_wait_for_company_after_a_long_idle_gap() -> None:
    """Clients that wait for their answers arrive in bursts: 4 requests 10 ms apart, then
    nothing for 1.5 s. The idle gap is not the typical gap, so each burst's first request waits
    for the other three (one batch of 4, not 1 + 3)."""

    async def bursts(batcher: MicroBatcher) -> list[list[int]]:
        sizes = []
        for _ in range(3):

            async def one(n: int) -> int:
                await asyncio.sleep(0.01 * n)
                return (await batcher.submit(Job(str(n), {}))).batch_size

            sizes.append(list(await asyncio.gather(*(one(n) for n in range(4)))))
            await asyncio.sleep(1.5)
        return sizes

    sizes = _batcher_run(bursts)
    assert sizes[1:] == [[4, 4, 4, 4], [4, 4, 4, 4]]


def test_requests_arriving_further_apart_than_the_wait_do_not_wait() -> None:
    async def sparse(batcher: MicroBatcher) -> list[float]:
        took = []
        for n in range(6):
            started = time.monotonic()
            await batcher.submit(Job(str(n), {}))
            took.append(time.monotonic() - started)
            await asyncio.sleep(0.3)
        return took

    took = _batcher_run(sparse)
    assert max(took[2:]) < 0.15  # a 0.05 s call, no 0.2 s wait for company
