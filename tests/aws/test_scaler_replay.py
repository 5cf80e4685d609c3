"""One policy, three places, the same decisions. For each example scenario, the simulator's
spotq-default run is recorded tick by tick; the same states are then put before the AWS scaler
(real boto3 calls to moto server's SQS, ECS and DynamoDB, on a simulated clock, its state saved
and reloaded each minute as between Lambda invocations) and before the local fleet's autoscaler;
all three must want the same number of workers at every tick.

The scenario's busiest ten minutes are replayed, until the fleet is back at zero (the full day
is the benchmark's job, not a test's)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from spotq.api.gateway import QueueDepth
from spotq.aws.scaler import store
from spotq.aws.scaler.loop import Scaler
from spotq.aws.session import AwsConfig
from spotq.clock import FakeClock
from spotq.fleet.autoscaler import Autoscaler
from spotq.fleet.workers import PoolCounts
from spotq.plan.scenario import load_scenario
from spotq.scaling.base import Observation, ScalingPolicy
from spotq.sim.adapter import SimPlan, plan_simulation, policy_params
from spotq.sim.engine import Engine
from spotq.sim.workload import Workload

from .scaler_env import EPOCH_S, ScalerEnv, make_env

SCENARIOS = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
BATCH = ["lab-categorization", "transcription-worker", "face-recognition"]
WINDOW_S = 600.0


@dataclass
class Recorder:
    """Wraps the simulated policy and keeps what it saw and decided."""

    inner: Any
    ticks: list[tuple[Observation, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.name = self.inner.name
        self.idle_only_scale_in = self.inner.idle_only_scale_in
        self.busy_from_in_flight = self.inner.busy_from_in_flight

    def desired(self, obs: Observation) -> int:
        want = int(self.inner.desired(obs))
        self.ticks.append((obs, want))
        return want


def _busiest_window(plan: SimPlan) -> Workload:
    arrivals = plan.workload.arrivals_s
    starts = np.arange(0.0, max(float(arrivals.max()), 1.0), WINDOW_S)
    counts = [int(((arrivals >= s) & (arrivals < s + WINDOW_S)).sum()) for s in starts]
    start = float(starts[int(np.argmax(counts))])
    keep = (arrivals >= start) & (arrivals < start + WINDOW_S)
    return Workload(arrivals[keep] - start, plan.workload.service_s[keep].copy())


def _simulate(name: str) -> tuple[SimPlan, Workload, Recorder]:
    plan = plan_simulation(load_scenario(SCENARIOS / f"{name}.yaml"))
    (spec,) = [p for p in plan.policies if p.name == "spotq-default"]
    workload = _busiest_window(plan)
    cfg = replace(plan.config, horizon_s=WINDOW_S)
    recorder = Recorder(plan.policy(spec))
    Engine(workload, cast(ScalingPolicy, recorder), cfg).run()
    return plan, workload, recorder


class Mirror:
    """Puts a simulated state into moto: visible and in-flight messages, submitted jobs, the
    service's desired count (the simulated fleet, spot interruptions included)."""

    def __init__(self, env: ScalerEnv, arrivals_s: np.ndarray) -> None:
        self.env, self.arrivals_s = env, arrivals_s
        self.visible, self.submitted = 0, 0
        self.in_flight: list[str] = []  # receipt handles
        self.desired = 0  # the service's desired count, as last set by the scaler or here

    def apply(self, obs: Observation) -> None:
        env = self.env
        new = int(np.searchsorted(self.arrivals_s, obs.now_s, side="right"))
        env.submit(*(EPOCH_S + float(a) for a in self.arrivals_s[self.submitted : new]))
        self.submitted = new
        if obs.in_flight < len(self.in_flight):
            done = len(self.in_flight) - obs.in_flight
            env.delete(self.in_flight[:done])
            self.in_flight = self.in_flight[done:]
        elif obs.in_flight > len(self.in_flight):
            taken = obs.in_flight - len(self.in_flight)
            self._set_visible(max(self.visible, taken))
            self.in_flight += env.receive(taken)
            self.visible -= taken
        self._set_visible(obs.visible)
        if self.desired != obs.workers:
            env.set_desired(obs.workers)
            self.desired = obs.workers

    def _set_visible(self, count: int) -> None:
        if self.visible < count:
            self.env.send(count - self.visible)
        elif self.visible > count:
            self.env.delete(self.env.receive(self.visible - count))
        self.visible = count


class _Pool:
    """The fleet's view of its workers, set from the simulated state."""

    def __init__(self) -> None:
        self.obs = Observation(0.0, 0, 0, 0)
        self.workers: list[object] = []

    def reap(self) -> list[object]:
        return []

    def counts(self) -> PoolCounts:
        idle = self.obs.running - self.obs.busy
        return PoolCounts(starting=self.obs.starting, idle=idle, busy=self.obs.busy, draining=0)

    def startup_s(self) -> float:
        return 0.0  # not measured: the policy keeps its configured start-up, as in the simulator

    def start(self) -> None:
        pass

    def drain_idle(self, count: int) -> int:
        return count


class _Queues:
    def __init__(self, pool: _Pool) -> None:
        self.pool = pool

    def work_depth(self) -> QueueDepth:
        return QueueDepth(self.pool.obs.visible, self.pool.obs.in_flight)

    @property
    def sent_total(self) -> int:
        return self.pool.obs.arrived


@pytest.mark.parametrize("name", BATCH)
def test_simulator_scaler_and_fleet_want_the_same_workers(
    name: str, aws_env: AwsConfig, unique_name: str
) -> None:
    plan, workload, recorder = _simulate(name)
    (spec,) = [p for p in plan.policies if p.name == "spotq-default"]
    policy_params = _params(plan)
    env = make_env(aws_env, unique_name, policy_params=policy_params,
                   max_workers=plan.config.max_workers)  # fmt: skip
    mirror = Mirror(env, workload.arrivals_s)
    pool = _Pool()
    clock = FakeClock(start_s=EPOCH_S)
    queues = cast(Any, _Queues(pool))
    fleet = Autoscaler(pool=cast(Any, pool), policy=plan.policy(spec), queues=queues,
                       clock=clock, max_workers=plan.config.max_workers)  # fmt: skip
    scaler = Scaler(env.cfg, env.clients, store.ScalerState(), lambda _: None)
    changes = 0
    for index, (obs, simulated) in enumerate(recorder.ticks):
        if index % 4 == 0 and index:  # a new Lambda invocation: state from the job table
            scaler.save()
            state = store.load(env.clients.dynamodb, env.cfg.table, env.cfg.state_key)
            scaler = Scaler(env.cfg, env.clients, state, lambda _: None)
        mirror.apply(obs)
        aws = scaler.tick(EPOCH_S + obs.now_s)
        assert aws["event"] == "decision", aws
        mirror.desired = aws["desired"]
        pool.obs = obs
        clock.advance(obs.now_s - clock.monotonic())
        local = fleet.tick().desired
        want = min(simulated, plan.config.max_workers)
        assert (aws["desired"], local) == (want, want), f"tick {index} at {obs.now_s} s: {obs}"
        changes += want != obs.workers
    assert changes >= 2, "the replayed hour should scale out and back in"


def _params(plan: SimPlan) -> dict[str, float | int]:
    (spec,) = [p for p in plan.policies if p.name == "spotq-default"]
    params = policy_params(spec, plan)
    params.pop("max_workers", None)
    return {k: v for k, v in params.items() if isinstance(v, (int, float))}
