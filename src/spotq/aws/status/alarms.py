"""Alarms in ALARM: the stack's own, and any other alarm watching one of the stack's resources.

An alarm someone added by hand on a stack's queue (or cluster, service, Auto Scaling group)
belongs on the stack's screen too, so every alarm in ALARM is checked for a dimension naming one
of them. Resource names are unique per stack; the App dimension is not (stages share it), so it
does not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from spotq.aws.status.model import AlarmStatus

_NAMES_PER_CALL = 100  # DescribeAlarms' AlarmNames limit


def firing(
    cloudwatch: Any, stack_alarms: Sequence[str], watched: Iterable[str]
) -> list[AlarmStatus]:
    """Alarms in ALARM that belong to the stack or watch one of `watched` (resource names)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(stack_alarms), _NAMES_PER_CALL):
        names = list(stack_alarms[start : start + _NAMES_PER_CALL])
        for alarm in _all(cloudwatch, AlarmNames=names, StateValue="ALARM"):
            found[alarm["AlarmName"]] = alarm
    values = {v for v in watched if v}
    for alarm in _all(cloudwatch, StateValue="ALARM"):
        if alarm["AlarmName"] not in found and values & dimension_values(alarm):
            found[alarm["AlarmName"]] = alarm
    return [_status(found[name]) for name in sorted(found)]


def _all(cloudwatch: Any, **kwargs: Any) -> Iterable[dict[str, Any]]:
    for page in cloudwatch.get_paginator("describe_alarms").paginate(**kwargs):
        yield from page.get("MetricAlarms", [])


def dimension_values(alarm: dict[str, Any]) -> set[str]:
    """Every dimension value an alarm reads, its own and its metric-math metrics'."""
    dimensions = list(alarm.get("Dimensions", []))
    for query in alarm.get("Metrics", []):
        dimensions += query.get("MetricStat", {}).get("Metric", {}).get("Dimensions", [])
    return {str(d.get("Value", "")) for d in dimensions}


def _status(alarm: dict[str, Any]) -> AlarmStatus:
    since = alarm.get("StateUpdatedTimestamp")
    return AlarmStatus(
        name=str(alarm["AlarmName"]),
        state=str(alarm.get("StateValue", "?")),
        reason=str(alarm.get("StateReason", "")),
        since_s=since.timestamp() if isinstance(since, datetime) else None,
    )
