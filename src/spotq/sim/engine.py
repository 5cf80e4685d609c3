"""The discrete-event core: FIFO queue with visibility timeout and DLQ, workers, one policy.

Time advances in policy ticks of `evaluation_interval_s`. Between ticks the worker set is fixed, so
jobs are dispatched in arrival order to whichever worker frees first (a heap of worker free
times: job start = max(visible at, worker free at)); that is exact for a FIFO queue served by
identical long-polling workers and costs one heap operation per job. At each tick: spot
interruptions, an observation for the policy, then launches or stops.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from heapq import heapify, heappop, heappush, heapreplace

from spotq.scaling.base import Observation, ScalingPolicy
from spotq.sim.config import SimConfig
from spotq.sim.hosts import HostPool
from spotq.sim.result import RawRun, Series
from spotq.sim.workload import Workload

INF = math.inf
# A worker: (free_at_s, launched_s, job). job -1: never ran a job (free_at = ready time).
Worker = tuple[float, float, int]


class Engine:
    """One simulation run; `run()` returns the raw per-job arrays and per-tick series."""

    def __init__(self, workload: Workload, policy: ScalingPolicy, cfg: SimConfig) -> None:
        self.cfg = cfg
        self.policy = policy
        self.arr: list[float] = workload.arrivals_s.tolist()
        self.svc: list[float] = workload.service_s.tolist()
        n = len(self.arr)
        self.n = n
        self.start: list[float] = [0.0] * n
        self.finish: list[float] = [INF] * n  # INF: not (yet) done
        self.receives = bytearray(n)
        self.head = 0  # next fresh arrival not yet dispatched
        self.workers: list[Worker] = []
        self.retries: list[tuple[float, int]] = []  # (visible again at, job)
        self.draining: list[tuple[float, int]] = []  # (finishes at, job) on leaving workers
        self.rng = random.Random(cfg.seed)
        self.hosts = None if cfg.hosts is None else HostPool(cfg.hosts, cfg.min_billed_s)
        self.billed_s = 0.0  # closed task billing (per second, minimum per start)
        self.worker_s = 0.0
        self.launch_sum_s = 0.0  # sum of launch times of live workers, for live worker-seconds
        self.retried = 0
        self.dead: list[int] = []
        self.series = Series()
        self.horizon_s = cfg.horizon_s if cfg.horizon_s is not None else workload.span_s

    # --- the loop ---------------------------------------------------------------------------

    def run(self) -> RawRun:
        dt = self.cfg.evaluation_interval_s
        stop_at = self.horizon_s + self.cfg.drain_limit_s
        t = 0.0
        while True:
            if self.cfg.spot_interruptions_per_hour > 0:
                self._interrupt(t, dt)
            obs = self._observe(t)
            self._resize(t, min(self.policy.desired(obs), self.cfg.max_workers), obs)
            if self.hosts is not None:
                self.hosts.tick(t, len(self.workers))
            self._record(t, obs)
            if (t >= self.horizon_s and self._all_done(t)) or t >= stop_at:
                break
            self._dispatch(t + dt)
            t += dt
        return self._close(t)

    def _dispatch(self, until: float) -> None:
        """Give queued jobs to free workers, in visibility order, for starts before `until`."""
        arr, svc, start, finish, receives = (
            self.arr,
            self.svc,
            self.start,
            self.finish,
            self.receives,
        )
        workers, retries, n, head = self.workers, self.retries, self.n, self.head
        max_receives = self.cfg.max_receives
        while workers:
            a = arr[head] if head < n else INF
            if retries and retries[0][0] <= a:
                a, job = retries[0]
                if a >= until:
                    break
                if receives[job] >= max_receives:
                    heappop(retries)  # SQS redrive: the next receive moves it to the DLQ
                    self.dead.append(job)
                    continue
            elif a >= until:
                break
            else:
                job = head
            free, launched, _ = workers[0]
            s = a if a > free else free
            if s >= until:
                break
            fin = s + svc[job]
            heapreplace(workers, (fin, launched, job))
            start[job] = s
            finish[job] = fin
            receives[job] += 1
            if job == head:
                head += 1
            else:
                heappop(retries)
        self.head = head

    # --- observation ------------------------------------------------------------------------

    def _observe(self, t: float) -> Observation:
        arrived = bisect_right(self.arr, t, self.head)
        visible = arrived - self.head
        hidden = 0
        for at, _ in self.retries:
            if at <= t:
                visible += 1
            else:
                hidden += 1
        starting = busy = 0
        for free, _, job in self.workers:
            if free > t:
                if job < 0:
                    starting += 1
                else:
                    busy += 1
        if self.draining:
            self.draining = [d for d in self.draining if d[0] > t]
        in_flight = busy + hidden + len(self.draining)
        running = len(self.workers) - starting
        return Observation(t, visible, in_flight, running, starting, busy, arrived)

    def _all_done(self, t: float) -> bool:
        if self.head < self.n or self.retries or self.draining:
            return False
        return all(free <= t for free, _, _ in self.workers)

    def _record(self, t: float, obs: Observation) -> None:
        live_s = len(self.workers) * t - self.launch_sum_s
        if self.hosts is not None:
            paid_s = self.hosts.billed_s + self.hosts.live_host_seconds(t)
            cost = paid_s * self.cfg.hosts.host_price_per_hour_usd / 3600.0  # type: ignore[union-attr]
        else:
            cost = (self.billed_s + live_s) * self.cfg.price_per_task_hour_usd / 3600.0
        self.series.append(t, obs.visible, obs.in_flight, len(self.workers), obs.busy, cost)

    # --- scaling ----------------------------------------------------------------------------

    def _resize(self, t: float, want: int, obs: Observation) -> None:
        current = len(self.workers)
        if want > current:
            for _ in range(want - current):
                self._launch(t)
        elif want < current:
            self._shrink(t, current - want)

    def _launch(self, t: float) -> None:
        ready = t
        if self.hosts is not None:
            ready = self.hosts.slot_ready_s(t, len(self.workers))
        heappush(self.workers, (ready + self.cfg.startup_s, t, -1))
        self.launch_sum_s += t

    def _shrink(self, t: float, count: int) -> None:
        starting = [i for i, w in enumerate(self.workers) if w[0] > t and w[2] < 0]
        idle = [i for i, w in enumerate(self.workers) if w[0] <= t]
        busy = [i for i, w in enumerate(self.workers) if w[0] > t and w[2] >= 0]
        if self.policy.idle_only_scale_in:
            victims = starting + idle
        else:
            # ECS and Kubernetes stop pending tasks first, then any task, busy or not.
            rest = idle + busy
            self.rng.shuffle(rest)
            victims = starting + rest
        chosen = set(victims[:count])
        kept: list[Worker] = []
        for i, w in enumerate(self.workers):
            if i in chosen:
                self._stop(t, w)
            else:
                kept.append(w)
        heapify(kept)
        self.workers = kept

    def _stop(self, t: float, w: Worker) -> None:
        """Stop worker `w` at t; a job in flight is lost to its visibility timeout."""
        free, launched, job = w
        if job >= 0 and free > t:
            self._abort(job, self.start[job] + self.cfg.visibility_timeout_s)
        self._bill(launched, t)

    def _bill(self, launched: float, stopped: float) -> None:
        self.launch_sum_s -= launched
        ran = max(0.0, stopped - launched)
        self.worker_s += ran
        self.billed_s += max(math.ceil(ran - 1e-9), self.cfg.min_billed_s)

    def _abort(self, job: int, visible_at: float) -> None:
        self.finish[job] = INF
        self.retried += 1
        heappush(self.retries, (visible_at, job))

    # --- spot -------------------------------------------------------------------------------

    def _interrupt(self, t: float, dt: float) -> None:
        p = -math.expm1(-self.cfg.spot_interruptions_per_hour * dt / 3600.0)
        rnd = self.rng.random
        hit = [i for i in range(len(self.workers)) if rnd() < p]
        if not hit:
            return
        hit_set = set(hit)
        kept = [w for i, w in enumerate(self.workers) if i not in hit_set]
        for i in hit:
            self._notice(t, self.workers[i])
        heapify(kept)
        self.workers = kept

    def _notice(self, t: float, w: Worker) -> None:
        """A 2-minute notice: finish within it, else release (drain) or lose the job (no drain)."""
        free, launched, job = w
        deadline = t + self.cfg.spot_notice_s
        if job < 0 or free <= t:
            self._bill(launched, t)
        elif free <= deadline:
            self.draining.append((free, job))
            self._bill(launched, free)
        else:
            visible_at = (
                deadline if self.cfg.spot_drain else self.start[job] + self.cfg.visibility_timeout_s
            )
            self._abort(job, visible_at)
            self._bill(launched, deadline)

    def _close(self, t: float) -> RawRun:
        for w in self.workers:
            self._stop(t, w)
        self.workers = []
        host_billed_s = 0.0
        if self.hosts is not None:
            self.hosts.close(t)
            host_billed_s = self.hosts.billed_s
        return RawRun(
            policy=self.policy.name,
            arrivals_s=self.arr,
            service_s=self.svc,
            start_s=self.start,
            finish_s=self.finish,
            receives=self.receives,
            dead=len(self.dead),
            retried=self.retried,
            billed_s=self.billed_s,
            worker_s=self.worker_s,
            host_billed_s=host_billed_s,
            end_s=t,
            series=self.series,
        )
