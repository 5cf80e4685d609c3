"""Hosts and spot interruptions.

Hosts are the instances of the stack's Auto Scaling groups (EC2 targets; Fargate has none to
show) and the container instances registered with the cluster. Interruptions in the last day
come from two places: the workers' own `SpotInterruptions` metric (spotq.worker.emf, through
CloudWatch's embedded metric format) and the tasks ECS stopped with stop code SpotInterruption
(Fargate Spot; ECS keeps stopped tasks for about an hour).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spotq.aws.status.model import Host
from spotq.worker.emf import NAMESPACE as WORKER_METRIC_NAMESPACE

_DAY_S = 24 * 3600
_DESCRIBE_TASKS_MAX = 100  # DescribeTasks' limit per call


def hosts(autoscaling: Any, groups: Sequence[str]) -> tuple[Host, ...]:
    if not groups:
        return ()
    reply = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=list(groups))
    return tuple(
        Host(
            instance_id=str(i.get("InstanceId", "?")),
            instance_type=str(i.get("InstanceType", "?")),
            zone=str(i.get("AvailabilityZone", "?")),
            lifecycle_state=str(i.get("LifecycleState", "?")),
            health=str(i.get("HealthStatus", "?")),
        )
        for group in reply.get("AutoScalingGroups", [])
        for i in group.get("Instances", [])
    )


def container_instances(ecs: Any, cluster: str) -> int:
    total = 0
    for page in ecs.get_paginator("list_container_instances").paginate(cluster=cluster):
        total += len(page.get("containerInstanceArns", []))
    return total


def interruptions_24h(cloudwatch: Any, app: str, now_s: float) -> int | None:
    """The sum of the workers' SpotInterruptions over the last day, or None with no data."""
    reply = cloudwatch.get_metric_statistics(
        Namespace=WORKER_METRIC_NAMESPACE,
        MetricName="SpotInterruptions",
        Dimensions=[{"Name": "App", "Value": app}],
        StartTime=now_s - _DAY_S,
        EndTime=now_s,
        Period=3600,
        Statistics=["Sum"],
    )
    points = reply.get("Datapoints", [])
    return round(sum(float(p.get("Sum", 0.0)) for p in points)) if points else None


def spot_stopped_tasks(ecs: Any, cluster: str, service_name: str | None) -> int:
    """Recently stopped tasks (of the service, where named) that ECS stopped for Spot."""
    kwargs: dict[str, Any] = {"cluster": cluster, "desiredStatus": "STOPPED"}
    if service_name:
        kwargs["serviceName"] = service_name
    arns = ecs.list_tasks(**kwargs).get("taskArns", [])[:_DESCRIBE_TASKS_MAX]
    if not arns:
        return 0
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns).get("tasks", [])
    return sum(1 for t in tasks if is_spot_stop(t))


def is_spot_stop(task: dict[str, Any]) -> bool:
    return (
        task.get("stopCode") == "SpotInterruption"
        or "spot" in str(task.get("stoppedReason", "")).lower()
    )
