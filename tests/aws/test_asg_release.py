"""`spotq destroy` lifts scale-in protection from the group's hosts once CloudFormation starts
deleting the group (moto's Auto Scaling holds the protected hosts; its CloudFormation deletes a
group at once, so the hook is driven with the event CloudFormation would send)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from spotq.aws.asg_release import ASG_TYPE, ProtectionReleaser
from spotq.aws.deploy_model import StackEvent
from spotq.aws.session import AwsConfig, make_client


def _event(group: str, status: str = "DELETE_IN_PROGRESS", kind: str = ASG_TYPE) -> StackEvent:
    return StackEvent("e1", datetime.now(UTC), "AutoScalingGroup", kind, status, "", group)


def _protected_group(aws: AwsConfig, name: str, hosts: int) -> Any:
    ec2 = make_client("ec2", aws)
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    ec2.create_launch_template(
        LaunchTemplateName=name,
        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"},
    )
    autoscaling = make_client("autoscaling", aws)
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": name},
        MinSize=0,
        MaxSize=hosts,
        DesiredCapacity=hosts,
        VPCZoneIdentifier=subnet,
        NewInstancesProtectedFromScaleIn=True,
    )
    return autoscaling


def _protection(autoscaling: Any, name: str) -> list[bool]:
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
        "AutoScalingGroups"
    ]
    return [bool(i["ProtectedFromScaleIn"]) for i in group["Instances"]]


def test_protection_is_lifted_once_when_the_group_deletion_starts(
    aws_env: AwsConfig, unique_name: str
) -> None:
    autoscaling = _protected_group(aws_env, unique_name, hosts=3)
    assert _protection(autoscaling, unique_name) == [True, True, True]
    lines: list[str] = []
    releaser = ProtectionReleaser(autoscaling, lines.append)

    releaser(_event(unique_name, status="DELETE_COMPLETE"))  # not the start of the deletion
    releaser(_event(unique_name, kind="AWS::ECS::Service"))  # not the group
    assert _protection(autoscaling, unique_name) == [True, True, True]

    releaser(_event(unique_name))
    assert _protection(autoscaling, unique_name) == [False, False, False]
    assert lines == [f"lifted scale-in protection from 3 host(s) in {unique_name}"]
    releaser(_event(unique_name))  # a repeated event does nothing more
    assert len(lines) == 1


class Refusing:
    def describe_auto_scaling_groups(self, **kwargs: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "Describe")


def test_a_refused_release_is_reported_not_raised() -> None:
    lines: list[str] = []
    ProtectionReleaser(Refusing(), lines.append)(_event("g"))
    assert len(lines) == 1 and lines[0].startswith("could not lift scale-in protection in g")
