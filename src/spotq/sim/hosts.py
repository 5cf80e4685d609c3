"""EC2 capacity under an ECS capacity provider: tasks wait for host slots; hosts are billed.

A task that finds no free slot waits for the capacity provider to launch a host (its reaction,
the EC2 boot and the ECS agent registration: `host_delay_s`). The provider keeps
ceil(tasks / (tasks_per_host × target %)) hosts, launches no more while a new host is within
`instance_warmup_s`, and releases surplus hosts after `host_scale_in_s`.
"""

from __future__ import annotations

import math

from spotq.sim.config import HostConfig


class HostPool:
    """Hosts as (ready_at_s, launched_s) pairs, oldest first; billing per host-second."""

    def __init__(self, cfg: HostConfig, min_billed_s: float) -> None:
        self.cfg = cfg
        self.min_billed_s = min_billed_s
        self._hosts: list[tuple[float, float]] = []
        self._batch: tuple[float, float] = (-math.inf, -math.inf)  # (decided at, launches at)
        self._surplus_since_s: float | None = None
        self.billed_s = 0.0
        self.peak_hosts = 0

    def needed(self, tasks: int) -> int:
        per_host = self.cfg.tasks_per_host * self.cfg.capacity_target_pct / 100.0
        return math.ceil(tasks / per_host) if tasks else 0

    def slot_ready_s(self, now_s: float, task_index: int) -> float:
        """When the slot for the task_index-th live task (0-based) can run it."""
        host = task_index // self.cfg.tasks_per_host
        while host >= len(self._hosts):
            self._launch(now_s)
        return max(now_s, self._hosts[host][0])

    def _launch(self, now_s: float) -> None:
        # Hosts asked for at one moment launch together; a later batch waits for the previous
        # batch's warmup (instances in warmup do not count towards the provider's metric yet).
        decided, at = self._batch
        if decided != now_s:
            at = max(now_s, at + self.cfg.instance_warmup_s)
            self._batch = (now_s, at)
        self._hosts.append((at + self.cfg.host_delay_s, at))
        self.peak_hosts = max(self.peak_hosts, len(self._hosts))

    def tick(self, now_s: float, tasks: int) -> None:
        """Scale hosts in after a sustained surplus (newest first)."""
        keep = max(self.needed(tasks), math.ceil(tasks / self.cfg.tasks_per_host))
        if len(self._hosts) <= keep:
            self._surplus_since_s = None
            return
        if self._surplus_since_s is None:
            self._surplus_since_s = now_s
        if now_s - self._surplus_since_s >= self.cfg.host_scale_in_s:
            while len(self._hosts) > keep:
                self._stop(now_s, self._hosts.pop())
            self._surplus_since_s = None

    def _stop(self, now_s: float, host: tuple[float, float]) -> None:
        launched = host[1]
        if now_s > launched:
            self.billed_s += max(math.ceil(now_s - launched), self.min_billed_s)

    def close(self, now_s: float) -> None:
        """Stop every host at the end of the run."""
        while self._hosts:
            self._stop(now_s, self._hosts.pop())

    def live_host_seconds(self, now_s: float) -> float:
        return sum(max(0.0, now_s - launched) for _, launched in self._hosts)
