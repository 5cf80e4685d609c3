"""The scaler's ticks: read, ask the policy, set the service's desired count, log why.

One invocation (started each minute by EventBridge Scheduler) ticks every `interval_s` until the
next invocation is due, saving the policy's state after each tick. Any read that fails skips the
tick: the desired count stays as it is and the log line says why. A failed update is logged
and tried again at the next tick, which decides afresh.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from spotq.aws.scaler import observe, store
from spotq.aws.scaler.config import METRIC_NAMESPACE, ScalerConfig
from spotq.aws.scaler.observe import ReadError
from spotq.aws.scaler.store import ScalerState
from spotq.scaling.registry import make_policy
from spotq.scaling.spotq_default import SpotqDefaultPolicy

SCHEDULE_PERIOD_S = 60.0  # EventBridge Scheduler's finest rate: one invocation a minute
# Leave this much of the invocation for the last tick's calls and the state write.
_TICK_BUDGET_S = 8.0
_API_ERRORS = (ReadError, ClientError, BotoCoreError)


@dataclass(frozen=True)
class Clients:
    """boto3 clients for the three services the scaler calls."""

    sqs: Any
    ecs: Any
    dynamodb: Any


def make_scaler_policy(cfg: ScalerConfig) -> SpotqDefaultPolicy:
    """The spotq-default policy with the parameters synth computed (the ones `simulate` uses)."""
    params = {**cfg.policy_params, "max_workers": cfg.max_workers}
    policy = make_policy(SpotqDefaultPolicy.name, **params)
    assert isinstance(policy, SpotqDefaultPolicy)
    return policy


class Scaler:
    """One app's scaler: a policy, its saved state, and the APIs it reads and sets."""

    def __init__(
        self,
        cfg: ScalerConfig,
        clients: Clients,
        state: ScalerState,
        emit: Callable[[str], None] = print,
    ) -> None:
        self.cfg, self.clients, self.state, self.emit = cfg, clients, state, emit
        self.policy = make_scaler_policy(cfg)
        if state.policy is not None:
            self.policy.restore(state.policy)

    def tick(self, now_s: float) -> dict[str, Any]:
        """One decision at `now_s` (epoch seconds); returns the logged record."""
        try:
            reading = observe.read(self.clients, self.cfg)
            upto_s = now_s - self.cfg.settle_s
            after_s = self.state.counted_to_s
            new = 0 if after_s is None else self._arrivals(after_s, upto_s)
        except _API_ERRORS as exc:
            return self._log({"event": "skip", "reason": f"read failed: {_describe(exc)}"}, now_s)
        self.state.counted_to_s = max(upto_s, after_s if after_s is not None else upto_s)
        self.state.arrived += new
        obs = reading.observation(now_s, self.state.arrived)
        want = min(self.policy.desired(obs), self.cfg.max_workers)
        self.state.policy = self.policy.snapshot()
        record: dict[str, Any] = {
            "event": "decision",
            "reason": self.policy.reason,
            "desired": want,
            "previous": reading.desired,
            "visible": reading.visible,
            "in_flight": reading.in_flight,
            "delayed": reading.delayed,
            "running": reading.running,
            "pending": reading.pending,
            "arrived": self.state.arrived,
        }
        if want != reading.desired:
            record["applied"] = self._update(want, record)
        return self._log(record, now_s)

    def _arrivals(self, after_s: float, upto_s: float) -> int:
        return observe.count_arrivals(self.clients.dynamodb, self.cfg, after_s, upto_s)

    def _update(self, want: int, record: dict[str, Any]) -> bool:
        try:
            self.clients.ecs.update_service(
                cluster=self.cfg.cluster, service=self.cfg.service, desiredCount=want
            )
        except (ClientError, BotoCoreError) as exc:
            record["error"] = f"update failed: {_describe(exc)}"
            return False
        return True

    def _log(self, record: dict[str, Any], now_s: float) -> dict[str, Any]:
        record = {"app": self.cfg.app, "at_s": round(now_s, 3), **record}
        self.emit(json.dumps(_with_metrics(record, self.cfg.app, now_s), sort_keys=True))
        return record

    def save(self) -> None:
        """Persist the state; a failure is logged (the next invocation resumes an older one)."""
        try:
            store.save(self.clients.dynamodb, self.cfg.table, self.cfg.state_key, self.state)
        except (ClientError, BotoCoreError) as exc:
            self.emit(json.dumps({"app": self.cfg.app, "event": "save-failed",
                                  "reason": _describe(exc)}))  # fmt: skip


def _with_metrics(record: dict[str, Any], app: str, now_s: float) -> dict[str, Any]:
    """A decision line in CloudWatch embedded metric format: the log line is also the metrics
    DesiredTasks, Backlog and VisibleMessages (dimension App), with no PutMetricData call."""
    if record["event"] != "decision":
        return record
    metrics = {
        "DesiredTasks": record["desired"],
        "Backlog": record["visible"] + record["in_flight"],
        "VisibleMessages": record["visible"],
    }
    meta = {
        "Timestamp": int(now_s * 1000),
        "CloudWatchMetrics": [
            {
                "Namespace": METRIC_NAMESPACE,
                "Dimensions": [["App"]],
                "Metrics": [{"Name": name, "Unit": "Count"} for name in metrics],
            }
        ],
    }
    return {"_aws": meta, "App": app, **metrics, **record}


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', '?')}: {error.get('Message', '')}".strip()
    return str(exc) or type(exc).__name__


def run_invocation(
    cfg: ScalerConfig,
    clients: Clients,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    remaining_s: Callable[[], float],
    emit: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Tick every `interval_s` from now until the next scheduled invocation takes over."""
    try:
        state = store.load(clients.dynamodb, cfg.table, cfg.state_key)
    except (ClientError, BotoCoreError) as exc:
        emit(json.dumps({"app": cfg.app, "event": "skip",
                         "reason": f"state load failed: {_describe(exc)}"}))  # fmt: skip
        return []
    scaler = Scaler(cfg, clients, state, emit)
    start_s = clock()
    ticks = max(1, math.floor(SCHEDULE_PERIOD_S / cfg.interval_s + 1e-9))
    records = []
    for index in range(ticks):
        due_s = start_s + index * cfg.interval_s
        wait_s = due_s - clock()
        if index and remaining_s() - max(wait_s, 0.0) < _TICK_BUDGET_S:
            break
        if wait_s > 0:
            sleep(wait_s)
        records.append(scaler.tick(clock()))
        scaler.save()
    return records
