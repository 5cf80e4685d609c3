"""KEDA's aws-sqs-queue scaler with its defaults, driving a Kubernetes HPA.

KEDA docs (scalers/aws-sqs, concepts/scaling-deployments): queueLength 5 messages per replica,
activationQueueLength 0, scaleOnInFlight true (visible + in flight are counted), pollingInterval
30 s, cooldownPeriod 300 s before scaling to zero. The HPA (Kubernetes docs, "Horizontal Pod
Autoscaling") syncs every 15 s, wants ceil(metric / queueLength), skips changes within its 10 %
tolerance, scales up by at most max(4 pods, 100 %) per 15 s and scales down to the highest
recommendation of the last 300 s. Kubernetes picks which pods to stop, busy or not (KEDA #1663).
"""

from __future__ import annotations

import math
from collections import deque

from spotq.scaling.backlog import clamp
from spotq.scaling.base import Observation


class KedaSqsPolicy:
    """KEDA activation (0↔1) on a polling interval, HPA AverageValue scaling from 1 to N."""

    name = "keda-sqs"
    idle_only_scale_in = False

    def __init__(
        self,
        queue_length: float = 5.0,
        activation_queue_length: float = 0.0,
        scale_on_in_flight: bool = True,
        polling_interval_s: float = 30.0,
        cooldown_period_s: float = 300.0,
        hpa_sync_s: float = 15.0,
        stabilization_window_s: float = 300.0,
        min_workers: int = 0,
        max_workers: int = 10,
    ) -> None:
        self.queue_length = queue_length
        self.activation_queue_length = activation_queue_length
        self.scale_on_in_flight = scale_on_in_flight
        self.polling_interval_s = polling_interval_s
        self.cooldown_period_s = cooldown_period_s
        self.hpa_sync_s = hpa_sync_s
        self.stabilization_window_s = stabilization_window_s
        self.min_workers = min_workers
        self.max_workers = max_workers
        self._next_poll_s = -math.inf
        self._next_sync_s = -math.inf
        self._last_active_s = -math.inf
        self._recommendations: deque[tuple[float, int]] = deque()
        self._desired: int | None = None

    def desired(self, obs: Observation) -> int:
        if self._desired is None:
            self._desired = obs.workers
        metric = obs.visible + (obs.in_flight if self.scale_on_in_flight else 0)
        if obs.now_s >= self._next_poll_s:
            self._next_poll_s = obs.now_s + self.polling_interval_s
            self._poll(obs.now_s, metric)
        if self._desired > 0 and obs.now_s >= self._next_sync_s:
            self._next_sync_s = obs.now_s + self.hpa_sync_s
            self._desired = self._hpa(obs.now_s, metric, self._desired)
        return self._desired

    def _poll(self, now_s: float, metric: int) -> None:
        assert self._desired is not None
        if metric > self.activation_queue_length:
            self._last_active_s = now_s
            if self._desired == 0:
                self._desired = max(1, self.min_workers)
        elif self._desired > 0 and now_s - self._last_active_s >= self.cooldown_period_s:
            self._desired = self.min_workers
            self._recommendations.clear()

    def _hpa(self, now_s: float, metric: int, current: int) -> int:
        raw = math.ceil(metric / self.queue_length)
        if current and abs(metric / (current * self.queue_length) - 1.0) <= 0.1:
            raw = current
        raw = clamp(raw, max(1, self.min_workers), self.max_workers)
        self._recommendations.append((now_s, raw))
        while self._recommendations[0][0] < now_s - self.stabilization_window_s:
            self._recommendations.popleft()
        if raw > current:
            return min(raw, current + max(4, current))
        return min(current, max(r for _, r in self._recommendations))
