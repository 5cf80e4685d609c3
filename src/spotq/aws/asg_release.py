"""Lift scale-in protection from an Auto Scaling group's hosts while its stack is deleted.

With managed termination protection ECS keeps scale-in protection on hosts that run tasks, and
removes it only while the capacity provider exists. CloudFormation deletes the service, then the
capacity provider, then the group: hosts still protected at that point keep the group (and the
stack) in DELETE_IN_PROGRESS for hours (aws/containers-roadmap#2862). When the group's deletion
starts nothing runs on it any more, so `spotq destroy` lifts the protection then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from spotq.aws.deploy_model import StackEvent

ASG_TYPE = "AWS::AutoScaling::AutoScalingGroup"
_BATCH = 50  # SetInstanceProtection takes at most 50 instance IDs


class ProtectionReleaser:
    """A `Deployer` delete hook: on the group's DELETE_IN_PROGRESS, unprotect every host once."""

    def __init__(self, autoscaling: Any, report: Callable[[str], None]) -> None:
        self._asg = autoscaling
        self._report = report
        self._done: set[str] = set()

    def __call__(self, event: StackEvent) -> None:
        if event.resource_type != ASG_TYPE or event.status != "DELETE_IN_PROGRESS":
            return
        group = event.physical_id
        if not group or group in self._done:
            return
        self._done.add(group)
        try:
            count = release(self._asg, group)
        except (ClientError, BotoCoreError) as exc:
            self._report(f"could not lift scale-in protection in {group}: {exc}")
            return
        if count:
            self._report(f"lifted scale-in protection from {count} host(s) in {group}")


def release(autoscaling: Any, group: str) -> int:
    """Unprotect the group's protected hosts; returns how many there were."""
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])
    protected = [
        str(instance["InstanceId"])
        for found in groups.get("AutoScalingGroups", [])
        for instance in found.get("Instances", [])
        if instance.get("ProtectedFromScaleIn")
    ]
    for start in range(0, len(protected), _BATCH):
        autoscaling.set_instance_protection(
            AutoScalingGroupName=group,
            InstanceIds=protected[start : start + _BATCH],
            ProtectedFromScaleIn=False,
        )
    return len(protected)
