"""The discrete-event core: FIFO queue with visibility timeout and DLQ, workers, one policy.

Time advances in policy ticks of `evaluation_interval_s`. Between ticks the worker set is fixed, so
jobs are dispatched in visibility order to whichever worker frees first (a heap of worker free
times: start = max(visible at, worker free at)); that is exact for a FIFO queue served by
identical long-polling workers and costs one heap operation per job (spotq.sim.kernel, compiled
when numba is installed). At each tick, in Python: spot interruptions, an observation for the
policy, then launches or stops, which are rare next to jobs.
"""

from __future__ import annotations

import math
import random

import numpy as np

from spotq.scaling.base import Observation, ScalingPolicy
from spotq.sim import kernel as k
from spotq.sim.config import SimConfig
from spotq.sim.hosts import HostPool
from spotq.sim.result import RawRun, Series
from spotq.sim.workload import Workload

INF = math.inf
Worker = tuple[float, float, float]  # (free_at, launched_at, job; -1 = never ran a job)


class Engine:
    """One simulation run; `run()` returns the raw per-job arrays and per-tick series."""

    def __init__(self, workload: Workload, policy: ScalingPolicy, cfg: SimConfig) -> None:
        self.cfg = cfg
        self.policy = policy
        n = workload.jobs
        self.n = n
        self.buf, self.jobs, self.workers, self.retries, self.ints = k.pack(n, cfg.max_workers + 1)
        self.jobs[k.ARR] = workload.arrivals_s
        self.jobs[k.SVC] = workload.service_s
        self.jobs[k.FINISH] = INF
        self.ints[k.MAX_RECEIVES] = cfg.max_receives
        self.draining: list[tuple[float, int]] = []  # (finishes at, job) on leaving workers
        self.rng = random.Random(cfg.seed)
        self.hosts = None if cfg.hosts is None else HostPool(cfg.hosts, cfg.min_billed_s)
        self.billed_s = 0.0  # closed task billing (per second, minimum per start)
        self.worker_s = 0.0
        self.launch_sum_s = 0.0  # sum of launch times of live workers, for live worker-seconds
        self.retried = 0
        self.series = Series()
        self.horizon_s = cfg.horizon_s if cfg.horizon_s is not None else workload.span_s

    # --- the loop ---------------------------------------------------------------------------

    def run(self) -> RawRun:
        cfg, policy, series = self.cfg, self.policy, self.series
        dt, cap = cfg.evaluation_interval_s, cfg.max_workers
        stop_at = self.horizon_s + cfg.drain_limit_s
        jobs, retries, ints = self.jobs, self.retries, self.ints
        buf, out = self.buf, k.OUT
        step, spot = k.step, cfg.spot_interruptions_per_hour > 0
        dispatch, observe = k.dispatch, k.observe
        record = (series.t_s.append, series.visible.append, series.in_flight.append)
        record2 = (series.workers.append, series.busy.append, series.cost_usd.append)
        price_s = cfg.price_per_task_hour_usd / 3600.0
        # As deployed, spotq's scaler cannot ask ECS which tasks are busy: it sees in-flight
        # messages capped at the tasks (spotq.aws.scaler.observe), and so does its simulation.
        busy_from_in_flight = getattr(policy, "busy_from_in_flight", False)
        t = 0.0
        while True:
            if spot:  # notices land after the jobs that started before t
                dispatch(t, jobs, self.workers, retries, ints)
                self._interrupt(t, dt)
                observe(t, jobs, self.workers, retries, ints, ints[out : out + 6])
            else:
                step(t, buf, ints)
            visible, hidden, starting, busy, arrived, nw = ints[out : out + 6].tolist()
            if self.draining:
                self.draining = [d for d in self.draining if d[0] > t]
            in_flight = busy + hidden + len(self.draining)
            seen_busy = min(nw, in_flight) if busy_from_in_flight else busy
            obs = Observation(t, visible, in_flight, nw - starting, starting, seen_busy, arrived)
            want = min(policy.desired(obs), cap)
            if want != nw:
                self._resize(t, want, nw)
                nw = int(ints[k.NW])
            if self.hosts is not None:
                self.hosts.tick(t, nw)
            record[0](t)
            record[1](visible)
            record[2](in_flight)
            record2[0](nw)
            record2[1](busy)
            record2[2](self._cost(t, nw, price_s))
            if (t >= self.horizon_s and self._all_done(t, nw)) or t >= stop_at:
                break
            t += dt
        return self._close(t)

    def _cost(self, t: float, nw: int, price_s: float) -> float:
        if self.hosts is not None:
            paid_s = self.hosts.billed_s + self.hosts.live_host_seconds(t)
            return paid_s * self.hosts.cfg.host_price_per_hour_usd / 3600.0
        return (self.billed_s + nw * t - self.launch_sum_s) * price_s

    def _all_done(self, t: float, nw: int) -> bool:
        if self.ints[k.HEAD] < self.n or self.ints[k.NR] or self.draining:
            return False
        return nw == 0 or bool(self.workers[:nw, 0].max() <= t)

    # --- workers ----------------------------------------------------------------------------

    def _rows(self) -> list[Worker]:
        nw = int(self.ints[k.NW])
        return [(float(r[0]), float(r[1]), float(r[2])) for r in self.workers[:nw]]

    def _set_rows(self, rows: list[Worker]) -> None:
        self.workers[: len(rows)] = rows if rows else np.zeros((0, 3))
        self.ints[k.NW] = len(rows)
        k.heapify(self.workers, len(rows))

    def _resize(self, t: float, want: int, current: int) -> None:
        if want > current:
            for i in range(current, want):
                self._launch(t, i)
        else:
            self._shrink(t, current - want)

    def _launch(self, t: float, index: int) -> None:
        ready = t if self.hosts is None else self.hosts.slot_ready_s(t, index)
        nw = int(self.ints[k.NW])
        self.ints[k.NW] = k.heap_push(self.workers, nw, ready + self.cfg.startup_s, t, -1.0)
        self.launch_sum_s += t

    def _shrink(self, t: float, count: int) -> None:
        rows = self._rows()
        starting = [i for i, w in enumerate(rows) if w[0] > t and w[2] < 0]
        idle = [i for i, w in enumerate(rows) if w[0] <= t]
        busy = [i for i, w in enumerate(rows) if w[0] > t and w[2] >= 0]
        if self.policy.idle_only_scale_in:
            victims = starting + idle
        else:
            # ECS and Kubernetes stop pending tasks first, then any task, busy or not.
            rest = idle + busy
            self.rng.shuffle(rest)
            victims = starting + rest
        chosen = set(victims[:count])
        for i in chosen:
            self._stop(t, rows[i])
        self._set_rows([w for i, w in enumerate(rows) if i not in chosen])

    def _stop(self, t: float, w: Worker) -> None:
        """Stop worker `w` at t; a job in flight is lost to its visibility timeout."""
        free, launched, job = w
        if job >= 0 and free > t:
            j = int(job)
            self._abort(j, float(self.jobs[k.START, j]) + self.cfg.visibility_timeout_s)
        self._bill(launched, t)

    def _bill(self, launched: float, stopped: float) -> None:
        self.launch_sum_s -= launched
        ran = max(0.0, stopped - launched)
        self.worker_s += ran
        self.billed_s += max(math.ceil(ran - 1e-9), self.cfg.min_billed_s)

    def _abort(self, job: int, visible_at: float) -> None:
        self.jobs[k.FINISH, job] = INF
        self.retried += 1
        nr = int(self.ints[k.NR])
        self.ints[k.NR] = k.heap_push(self.retries, nr, visible_at, float(job), 0.0)

    # --- spot -------------------------------------------------------------------------------

    def _interrupt(self, t: float, dt: float) -> None:
        nw = int(self.ints[k.NW])
        p = -math.expm1(-self.cfg.spot_interruptions_per_hour * dt / 3600.0)
        rnd = self.rng.random
        hit = {i for i in range(nw) if rnd() < p}
        if not hit:
            return
        rows = self._rows()
        for i in sorted(hit):
            self._notice(t, rows[i])
        self._set_rows([w for i, w in enumerate(rows) if i not in hit])

    def _notice(self, t: float, w: Worker) -> None:
        """A 2-minute notice: finish within it, else release (drain) or lose the job (no drain)."""
        free, launched, job = w
        deadline = t + self.cfg.spot_notice_s
        if job < 0 or free <= t:
            self._bill(launched, t)
        elif free <= deadline:
            self.draining.append((free, int(job)))
            self._bill(launched, free)
        else:
            j = int(job)
            lost_at = float(self.jobs[k.START, j]) + self.cfg.visibility_timeout_s
            self._abort(j, deadline if self.cfg.spot_drain else lost_at)
            self._bill(launched, deadline)

    def _close(self, t: float) -> RawRun:
        for w in self._rows():
            self._stop(t, w)
        self._set_rows([])
        host_billed_s = 0.0
        if self.hosts is not None:
            self.hosts.close(t)
            host_billed_s = self.hosts.billed_s
        return RawRun(
            policy=self.policy.name,
            arrivals_s=self.jobs[k.ARR],
            service_s=self.jobs[k.SVC],
            start_s=self.jobs[k.START],
            finish_s=self.jobs[k.FINISH],
            receives=self.jobs[k.RECEIVES],
            dead=int(self.ints[k.DEAD]),
            retried=self.retried,
            billed_s=self.billed_s,
            worker_s=self.worker_s,
            host_billed_s=host_billed_s,
            end_s=t,
            series=self.series,
        )
