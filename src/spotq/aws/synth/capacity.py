"""EC2 capacity for the ec2-spot and gpu targets: launch template, Auto Scaling group with a
mixed instances policy, and the ECS capacity provider that scales it.

Scale-in safety: managed termination protection (ECS keeps ASG scale-in protection on every host
that runs a task, and new hosts start protected) with managed draining (a host is drained before
the group terminates it) and the workers' own ECS task scale-in protection holding a busy task.
Protected hosts would block the group's deletion once the capacity provider is gone; `spotq
destroy` lifts the protection when CloudFormation reaches the group (spotq.aws.deploy).

Instance metadata: IMDSv2 with a hop limit of 1, so containers on the bridge network cannot reach
the instance role's credentials; a spot interruption reaches the workers as SIGTERM from the ECS
agent's spot draining instead of through IMDS (spotq.aws.ecs.integration).
"""

from __future__ import annotations

from spotq.aws.synth import ids
from spotq.aws.synth.cfn import NO_VALUE, Json, arn, get_att, if_, ref, sub, tags
from spotq.aws.synth.context import STOP_TIMEOUT_MAX_S, Context, Target
from spotq.aws.synth.parameters import MAX_INSTANCE_TYPES, instance_type_at
from spotq.aws.synth.service import security_group_ids

_INSTANCE_WARMUP_S = 300


def capacity(ctx: Context) -> Json:
    return {
        ids.LAUNCH_TEMPLATE: _launch_template(ctx),
        ids.ASG: _auto_scaling_group(ctx),
        **capacity_provider(ref(ids.P_TARGET_CAPACITY)),
    }


def capacity_provider(target_capacity: Json | int) -> Json:
    """The ECS capacity provider over the hosts' Auto Scaling group and the cluster's default
    strategy on it (worker and realtime GPU hosts alike)."""
    return {
        ids.CAPACITY_PROVIDER: _capacity_provider(target_capacity),
        ids.CAPACITY_ASSOCIATION: {
            "Type": "AWS::ECS::ClusterCapacityProviderAssociations",
            "Properties": {
                "Cluster": ref(ids.CLUSTER),
                "CapacityProviders": [ref(ids.CAPACITY_PROVIDER)],
                "DefaultCapacityProviderStrategy": [
                    {"CapacityProvider": ref(ids.CAPACITY_PROVIDER), "Weight": 1, "Base": 0}
                ],
            },
        },
    }


def _user_data(ctx: Context) -> Json:
    lines = [
        "#!/bin/bash",
        "cat >> /etc/ecs/ecs.config <<'EOF'",
        f"ECS_CLUSTER=${{{ids.CLUSTER}}}",
        # The agent marks the instance DRAINING on a spot interruption notice: tasks get SIGTERM
        # and their stop timeout while the two-minute warning runs.
        "ECS_ENABLE_SPOT_INSTANCE_DRAINING=true",
        f"ECS_CONTAINER_STOP_TIMEOUT={STOP_TIMEOUT_MAX_S}s",
        "ECS_ENABLE_TASK_IAM_ROLE=true",
    ]
    if ctx.target is Target.GPU:
        lines.append("ECS_ENABLE_GPU_SUPPORT=true")
    lines.append("EOF")
    # Session Manager needs the SSM agent; the ECS-optimized AMIs are built from AL2023 minimal,
    # so install it from the distribution's repository when the host has none.
    ssm_agent = (
        "rpm -q amazon-ssm-agent >/dev/null || dnf install -y amazon-ssm-agent\n"
        "systemctl enable --now amazon-ssm-agent\n"
    )
    body = sub("\n".join(lines) + "\n")
    return {"Fn::Base64": {"Fn::Join": ["", [body, if_(ids.C_SSM_ACCESS, ssm_agent, "")]]}}


def _launch_template(ctx: Context) -> Json:
    data: Json = {
        "ImageId": ref(ids.P_AMI),
        "IamInstanceProfile": {"Arn": arn(ids.INSTANCE_PROFILE)},
        "SecurityGroupIds": security_group_ids(),
        # IMDSv2 only, hop limit 1: the host's agents reach IMDS, containers (one bridge hop
        # further) do not, so no task can act with the instance role.
        "MetadataOptions": {
            "HttpEndpoint": "enabled",
            "HttpTokens": "required",
            "HttpPutResponseHopLimit": 1,
        },
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {
                    "Encrypted": True,
                    "VolumeSize": ref(ids.P_ROOT_VOLUME),
                    "VolumeType": "gp3",
                    "DeleteOnTermination": True,
                },
            }
        ],
        "UserData": _user_data(ctx),
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": tags(ctx.app, ctx.stage, "worker")}
        ],
    }
    return {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": data}}


def _overrides() -> list[Json]:
    first: Json = {"InstanceType": {"Fn::Select": [0, ref(ids.P_INSTANCE_TYPES)]}}
    rest = [
        if_(ids.has_instance_type(i), {"InstanceType": instance_type_at(i)}, NO_VALUE)
        for i in range(1, MAX_INSTANCE_TYPES)
    ]
    return [first, *rest]


def _auto_scaling_group(ctx: Context) -> Json:
    return {
        "Type": "AWS::AutoScaling::AutoScalingGroup",
        "Properties": {
            # The capacity provider sets the desired size; 0 when no task needs a host.
            "MinSize": "0",
            "MaxSize": ref(ids.P_MAX_INSTANCES),
            "VPCZoneIdentifier": ref(ids.P_SUBNETS),
            "CapacityRebalance": True,
            # Managed termination protection needs it: ECS lifts it from hosts with no task.
            "NewInstancesProtectedFromScaleIn": True,
            "HealthCheckType": "EC2",
            "HealthCheckGracePeriod": _INSTANCE_WARMUP_S,
            "MixedInstancesPolicy": {
                "InstancesDistribution": {
                    "OnDemandBaseCapacity": ref(ids.P_ON_DEMAND_BASE),
                    "OnDemandPercentageAboveBaseCapacity": ref(ids.P_ON_DEMAND_PERCENT),
                    "SpotAllocationStrategy": ref(ids.P_SPOT_STRATEGY),
                },
                "LaunchTemplate": {
                    "LaunchTemplateSpecification": {
                        "LaunchTemplateId": ref(ids.LAUNCH_TEMPLATE),
                        "Version": get_att(ids.LAUNCH_TEMPLATE, "LatestVersionNumber"),
                    },
                    "Overrides": _overrides(),
                },
            },
            "Tags": [
                {"Key": "spotq:app", "Value": ctx.app, "PropagateAtLaunch": True},
                {"Key": "spotq:stage", "Value": ctx.stage, "PropagateAtLaunch": True},
            ],
        },
    }


def _capacity_provider(target_capacity: Json | int) -> Json:
    return {
        "Type": "AWS::ECS::CapacityProvider",
        "Properties": {
            "AutoScalingGroupProvider": {
                "AutoScalingGroupArn": ref(ids.ASG),
                "ManagedScaling": {
                    "Status": "ENABLED",
                    "TargetCapacity": target_capacity,
                    "MinimumScalingStepSize": 1,
                    "MaximumScalingStepSize": 10,
                    "InstanceWarmupPeriod": _INSTANCE_WARMUP_S,
                },
                "ManagedTerminationProtection": "ENABLED",
                "ManagedDraining": "ENABLED",
            }
        },
    }
