"""The ECS service's counts and recent events, and spotq's scaler decisions with their reasons.

The scaler (spotq.aws.scaler.loop) logs one JSON line per tick: `decision` (the policy's desired
count, the previous one, the policy's reason, whether the update was applied) or `skip` (why the
tick read nothing). The status shows the changes and skips, and the latest decision even when it
changed nothing, since that one says why the service is where it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from spotq.aws.status import logs as log_reader
from spotq.aws.status.model import LogLine, ScalingDecision, ServiceEvent, ServiceStatus

SCALER_PATTERN = '?"decision" ?"skip" ?"save-failed"'
_EVENTS_SHOWN = 5


def read_service(ecs: Any, cluster: str, service: str) -> ServiceStatus | None:
    """The service's counts, or None when ECS no longer knows it (deleted, or draining away)."""
    reply = ecs.describe_services(cluster=cluster, services=[service])
    found = [s for s in reply.get("services", []) if s.get("status") != "INACTIVE"]
    if not found:
        return None
    s = found[0]
    primary = [d for d in s.get("deployments", []) if d.get("status") == "PRIMARY"]
    return ServiceStatus(
        cluster=cluster.rsplit("/", 1)[-1],
        name=str(s.get("serviceName", service.rsplit("/", 1)[-1])),
        desired=int(s.get("desiredCount", 0)),
        running=int(s.get("runningCount", 0)),
        pending=int(s.get("pendingCount", 0)),
        rollout=primary[0].get("rolloutState") if primary else None,
        events=tuple(
            ServiceEvent(at_s=_epoch_s(e.get("createdAt")), message=str(e.get("message", "")))
            for e in s.get("events", [])[:_EVENTS_SHOWN]
        ),
    )


def _epoch_s(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value or 0.0)


def scaler_decisions(
    logs: Any, group: str, since_s: float, now_s: float, n: int
) -> list[ScalingDecision]:
    """The scaler's last `n` changes and skips in the window, newest first."""
    return pick_decisions(log_reader.events(logs, group, since_s, now_s, SCALER_PATTERN), n)


def pick_decisions(lines: Iterable[LogLine], n: int) -> list[ScalingDecision]:
    """Changes, skips and failed saves, plus the latest decision; the last `n`, newest first."""
    records = [d for d in (_decision(line) for line in lines) if d is not None]
    latest = max((i for i, d in enumerate(records) if d.event == "decision"), default=None)
    shown = [
        d
        for i, d in enumerate(records)
        if d.event != "decision" or d.desired != d.previous or i == latest
    ]
    return shown[-n:][::-1] if n > 0 else []


def _decision(line: LogLine) -> ScalingDecision | None:
    try:
        record = json.loads(line.message)
    except ValueError:
        return None  # the runtime's START/END/REPORT lines
    if not isinstance(record, dict) or record.get("event") not in (
        "decision",
        "skip",
        "save-failed",
    ):
        return None
    return ScalingDecision(
        at_s=float(record.get("at_s", line.at_s)),
        event=str(record["event"]),
        reason=str(record.get("reason", "")),
        desired=_int_or_none(record.get("desired")),
        previous=_int_or_none(record.get("previous")),
        applied=record.get("applied") if isinstance(record.get("applied"), bool) else None,
        error=str(record["error"]) if "error" in record else None,
    )


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
