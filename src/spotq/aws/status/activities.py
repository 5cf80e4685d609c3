"""Scaling decisions under `--scaling-engine aws-target-tracking`: Application Auto Scaling's
scaling activities for the service (what it set the desired count to, and the alarm that made it).

The resource ID is AWS's documented form for an ECS service, `service/CLUSTER/SERVICE`, built
from the names the stack itself reports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from spotq.aws.status.model import ScalingDecision


def scaling_activities(
    autoscaling: Any, cluster: str, service_name: str, n: int
) -> list[ScalingDecision]:
    """The service's last `n` scaling activities, newest first."""
    reply = autoscaling.describe_scaling_activities(
        ServiceNamespace="ecs",
        ResourceId=f"service/{cluster.rsplit('/', 1)[-1]}/{service_name}",
        ScalableDimension="ecs:service:DesiredCount",
        MaxResults=max(1, n),
    )
    return [_decision(a) for a in reply.get("ScalingActivities", [])[:n]]


def _decision(activity: dict[str, Any]) -> ScalingDecision:
    started = activity.get("StartTime")
    status = str(activity.get("StatusCode", ""))
    cause = str(activity.get("Cause", ""))
    description = str(activity.get("Description", "")).rstrip(".")
    return ScalingDecision(
        at_s=started.timestamp() if isinstance(started, datetime) else 0.0,
        event="activity",
        reason=f"{description} ({cause})" if cause else description,
        applied=status == "Successful" if status in ("Successful", "Failed") else None,
        error=str(activity.get("StatusMessage")) if status == "Failed" else None,
    )
