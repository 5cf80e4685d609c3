"""The benchmark's peer: the same queue, workers and policy written plainly in SimPy.

One process per arrival stream, one per worker (start-up, then take a job, work, repeat), and a
controller that evaluates the policy every tick and launches or stops workers. Scale-in stops
starting workers first, then idle ones (the policy is idle-only). No spot interruptions, so no
retries: the model covers what the 30-day benchmark exercises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from spotq.scaling.base import Observation, ScalingPolicy


@dataclass
class _Worker:
    launched_s: float
    ready_s: float
    busy_until_s: float = -math.inf
    process: Any = None
    request: Any = None  # the pending Store.get while idle


def _got_job(w: _Worker) -> bool:
    return w.request is not None and w.request.triggered


@dataclass
class SimpyResult:
    finish_s: np.ndarray
    billed_s: float
    worker_s: float
    peak_workers: int
    max_backlog: int
    end_s: float


@dataclass
class _Model:
    env: simpy.Environment
    arrivals_s: list[float]
    service_s: list[float]
    startup_s: float
    min_billed_s: float
    store: simpy.Store = field(init=False)
    workers: list[_Worker] = field(default_factory=list)
    arrived: int = 0
    finish_s: list[float] = field(default_factory=list)
    billed_s: float = 0.0
    worker_s: float = 0.0

    def __post_init__(self) -> None:
        self.store = simpy.Store(self.env)
        self.finish_s = [math.inf] * len(self.arrivals_s)

    def arrivals(self) -> Any:
        for job, at in enumerate(self.arrivals_s):
            yield self.env.timeout(at - self.env.now)
            self.arrived += 1
            yield self.store.put(job)

    def work(self, w: _Worker) -> Any:
        try:
            yield self.env.timeout(w.ready_s - self.env.now)
            while True:
                w.request = self.store.get()
                job = yield w.request
                w.request = None
                w.busy_until_s = self.env.now + self.service_s[job]
                yield self.env.timeout(self.service_s[job])
                self.finish_s[job] = self.env.now
        except simpy.Interrupt:
            if w.request is not None:
                w.request.cancel()

    def launch(self) -> None:
        now = self.env.now
        w = _Worker(launched_s=now, ready_s=now + self.startup_s)
        w.process = self.env.process(self.work(w))
        self.workers.append(w)

    def stop(self, w: _Worker) -> None:
        w.process.interrupt()
        ran = self.env.now - w.launched_s
        self.worker_s += ran
        self.billed_s += max(math.ceil(ran - 1e-9), self.min_billed_s)
        self.workers.remove(w)

    def observe(self) -> Observation:
        now = self.env.now
        starting = sum(1 for w in self.workers if w.ready_s > now)
        busy = sum(1 for w in self.workers if w.busy_until_s > now or _got_job(w))
        visible = len(self.store.items)
        return Observation(
            now, visible, busy, len(self.workers) - starting, starting, busy, self.arrived
        )

    def resize(self, want: int) -> None:
        now = self.env.now
        for _ in range(want - len(self.workers)):
            self.launch()
        extra = len(self.workers) - want
        if extra > 0:
            starting = [w for w in self.workers if w.ready_s > now]
            # Idle: waiting on a get that no job has satisfied yet (a satisfied get whose
            # worker has not resumed yet holds a job: that worker is busy).
            idle = [
                w
                for w in self.workers
                if w.ready_s <= now and w.request is not None and not w.request.triggered
            ]
            for w in (starting + idle)[:extra]:
                self.stop(w)


def run_simpy(
    arrivals_s: np.ndarray,
    service_s: np.ndarray,
    policy: ScalingPolicy,
    *,
    tick_s: float,
    startup_s: float,
    horizon_s: float,
    min_billed_s: float = 60.0,
) -> SimpyResult:
    """Simulate with SimPy; the policy is evaluated every `tick_s` like the spotq engine does."""
    env = simpy.Environment()
    model = _Model(env, arrivals_s.tolist(), service_s.tolist(), startup_s, min_billed_s)
    env.process(model.arrivals())
    stats = {"peak": 0, "backlog": 0, "end": 0.0}

    def controller() -> Any:
        while True:
            obs = model.observe()
            model.resize(policy.desired(obs))
            stats["peak"] = max(stats["peak"], len(model.workers))
            stats["backlog"] = max(stats["backlog"], obs.visible + obs.in_flight)
            done = model.arrived == len(model.arrivals_s) and obs.backlog == 0
            if env.now >= horizon_s and done and obs.busy == 0:
                stats["end"] = env.now
                for w in list(model.workers):
                    model.stop(w)
                return
            yield env.timeout(tick_s)

    env.run(until=env.process(controller()))
    return SimpyResult(
        finish_s=np.asarray(model.finish_s),
        billed_s=model.billed_s,
        worker_s=model.worker_s,
        peak_workers=int(stats["peak"]),
        max_backlog=int(stats["backlog"]),
        end_s=float(stats["end"]),
    )
