"""Engine behaviour: scale-in that kills busy workers, spot notices with and without drain, DLQ."""

from __future__ import annotations

import numpy as np
import pytest

from spotq.scaling import make_policy
from spotq.scaling.base import Observation
from spotq.sim.config import HostConfig, SimConfig
from spotq.sim.result import summarise
from spotq.sim.run import simulate, simulate_raw
from spotq.sim.workload import Workload, poisson, service_times


def long_jobs() -> Workload:
    rng = np.random.default_rng(3)
    arrivals = poisson(rng, 400, 6 * 3600)
    return Workload(arrivals, service_times(rng, arrivals.size, 240.0, 0.3))


def test_idle_only_scale_in_never_loses_a_job_while_any_task_scale_in_does() -> None:
    cfg = SimConfig(price_per_task_hour_usd=0.05, visibility_timeout_s=600)
    ours = simulate(long_jobs(), make_policy("spotq-default"), cfg)
    seeds = simulate(long_jobs(), make_policy("seed-target-tracking"), cfg)
    assert ours.retried == 0 and ours.completed == ours.jobs
    assert seeds.retried > 0  # visible-only metric + ECS scale-in stops busy tasks (CDK #9242)


class Always:
    """A policy that keeps `n` workers (no cooldown logic), for spot tests."""

    name = "always"
    idle_only_scale_in = True

    def __init__(self, n: int) -> None:
        self.n = n

    def desired(self, obs: Observation) -> int:
        return self.n


@pytest.mark.parametrize("drain", [True, False])
def test_spot_interruptions_release_with_drain_and_lose_without(drain: bool) -> None:
    workload = long_jobs()
    cfg = SimConfig(
        price_per_task_hour_usd=0.05,
        spot_interruptions_per_hour=2.0,
        spot_drain=drain,
        visibility_timeout_s=900,
        max_receives=10,
    )
    raw = simulate_raw(workload, Always(3), cfg)
    result = summarise(raw, cfg)
    assert result.retried > 0
    assert result.completed == result.jobs  # every interrupted job came back and finished
    # A released job is back at the notice's end; a lost one only after the visibility timeout.
    retried_jobs = raw.receives > 1
    waits = (raw.start_s - raw.arrivals_s)[retried_jobs]
    if drain:
        assert np.median(waits) < 900
    else:
        assert waits.min() >= 900 - 1e-6


def test_a_job_interrupted_max_receives_times_goes_to_the_dlq() -> None:
    workload = Workload(np.array([0.0]), np.array([10_000.0]))
    cfg = SimConfig(
        price_per_task_hour_usd=0.05,
        spot_interruptions_per_hour=30.0,
        spot_drain=False,
        visibility_timeout_s=60,
        max_receives=2,
        horizon_s=600,
    )
    result = summarise(simulate_raw(workload, Always(1), cfg), cfg)
    assert result.dead_lettered == 1 and result.completed == 0
    assert result.p95_s == float("inf")


def test_ec2_tasks_wait_for_a_host_and_hosts_are_billed() -> None:
    workload = Workload(np.array([0.0, 1.0]), np.array([100.0, 100.0]))
    hosts = HostConfig(tasks_per_host=2, host_price_per_hour_usd=3.6, host_delay_s=135.0)
    cfg = SimConfig(price_per_task_hour_usd=1.8, startup_s=60.0, hosts=hosts, horizon_s=10)
    raw = simulate_raw(workload, Always(2), cfg)
    # Both tasks share the one new host: ready at 135 + 60 s, then 100 s of work.
    assert raw.finish_s.tolist() == [295.0, 295.0]
    assert raw.host_billed_s >= 295.0
    assert summarise(raw, cfg).cost_usd == pytest.approx(raw.host_billed_s * 0.001)


def test_fixed_workers_fast_path_matches_the_tick_engine() -> None:
    from spotq.sim.engine import Engine

    workload = long_jobs()
    cfg = SimConfig(price_per_task_hour_usd=0.05, horizon_s=6 * 3600)
    fast = simulate_raw(workload, make_policy("fixed", workers=3), cfg)
    ticked = Engine(workload, make_policy("fixed", workers=3), cfg).run()
    assert fast.series.t_s[-1] == ticked.end_s == fast.end_s
    np.testing.assert_array_equal(fast.finish_s, ticked.finish_s)
    assert fast.billed_s == ticked.billed_s and fast.worker_s == ticked.worker_s
    assert fast.series.visible == ticked.series.visible
    assert fast.series.busy == ticked.series.busy
    assert summarise(fast, cfg) == summarise(ticked, cfg)


def test_uncompiled_kernel_gives_the_same_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the `sim` extra the kernel runs as plain Python: same results, only slower."""
    from spotq.sim import kernel

    workload = long_jobs()
    cfg = SimConfig(price_per_task_hour_usd=0.05, spot_interruptions_per_hour=0.5)
    compiled = simulate_raw(workload, make_policy("spotq-default"), cfg)
    if not kernel.COMPILED:
        pytest.fail("numba (the sim extra) is part of the dev install; the kernel should compile")
    names = ("_copy_row", "sift_down", "sift_up", "heapify", "heap_push", "heap_pop")
    for name in (*names, "dispatch", "observe", "step"):
        monkeypatch.setattr(kernel, name, getattr(kernel, name).py_func)
    plain = simulate_raw(workload, make_policy("spotq-default"), cfg)
    np.testing.assert_array_equal(plain.finish_s, compiled.finish_s)
    assert plain.billed_s == compiled.billed_s and plain.retried == compiled.retried
