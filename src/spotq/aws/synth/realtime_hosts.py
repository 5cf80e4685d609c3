"""GPU hosts for `--target realtime-gpu`: on-demand instances of the ECS GPU-optimized AMI in an
Auto Scaling group that an ECS capacity provider sizes to the tasks (whole GPUs per task).
On-demand, not spot: an interruption would cut live streams mid-utterance."""

from __future__ import annotations

from spotq.aws.synth import realtime_ids as ids
from spotq.aws.synth.capacity import capacity_provider
from spotq.aws.synth.cfn import Json, arn, get_att, ref, sub, tags
from spotq.aws.synth.realtime_context import RealtimeContext as Ctx

_ECS_INSTANCE_POLICY = (
    "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
)
_WARMUP_S = 300


def hosts(ctx: Ctx) -> Json:
    return {
        ids.INSTANCE_ROLE: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                # The AWS-maintained policy the ECS agent needs to register and poll; no more.
                "ManagedPolicyArns": [sub(_ECS_INSTANCE_POLICY)],
            },
        },
        ids.INSTANCE_PROFILE: {
            "Type": "AWS::IAM::InstanceProfile",
            "Properties": {"Roles": [ref(ids.INSTANCE_ROLE)]},
        },
        ids.HOST_SG: _host_security_group(ctx),
        ids.LAUNCH_TEMPLATE: _launch_template(ctx),
        ids.ASG: _auto_scaling_group(ctx),
        # Hosts are sized by the tasks the service asks for, so they run full (target 100 %).
        **capacity_provider(100),
    }


def _host_security_group(ctx: Ctx) -> Json:
    """The hosts' own interface: the ECS agent and image pulls go out; nothing comes in (tasks
    have their own interfaces and the task security group)."""
    return {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {
            "GroupDescription": f"spotq {ctx.app} GPU hosts: no ingress, HTTPS egress only",
            "VpcId": ref(ids.P_VPC),
            "SecurityGroupEgress": [
                {
                    "Description": "HTTPS to the ECS, ECR and CloudWatch APIs",
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "CidrIp": "0.0.0.0/0",
                }
            ],
            "Tags": tags(ctx.app, ctx.stage, "hosts"),
        },
    }


def _launch_template(ctx: Ctx) -> Json:
    user_data = "\n".join(
        [
            "#!/bin/bash",
            "cat >> /etc/ecs/ecs.config <<'EOF'",
            f"ECS_CLUSTER=${{{ids.CLUSTER}}}",
            "ECS_ENABLE_GPU_SUPPORT=true",
            f"ECS_CONTAINER_STOP_TIMEOUT={ctx.stop_timeout_s}s",
            "ECS_ENABLE_TASK_IAM_ROLE=true",
            "EOF",
            "",
        ]
    )
    data: Json = {
        "ImageId": ref(ids.P_AMI),
        "InstanceType": ref(ids.P_INSTANCE_TYPE),
        "IamInstanceProfile": {"Arn": arn(ids.INSTANCE_PROFILE)},
        "SecurityGroupIds": [get_att(ids.HOST_SG, "GroupId")],
        "MetadataOptions": {
            "HttpEndpoint": "enabled",
            "HttpTokens": "required",
            "HttpPutResponseHopLimit": 1,  # awsvpc tasks do not read the host's IMDS
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
        "UserData": {"Fn::Base64": sub(user_data)},
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": tags(ctx.app, ctx.stage, "gpu-host")}
        ],
    }
    return {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": data}}


def _auto_scaling_group(ctx: Ctx) -> Json:
    return {
        "Type": "AWS::AutoScaling::AutoScalingGroup",
        "Properties": {
            "MinSize": "0",
            "MaxSize": ref(ids.P_MAX_INSTANCES),
            "VPCZoneIdentifier": ref(ids.P_TASK_SUBNETS),
            "HealthCheckType": "EC2",
            "HealthCheckGracePeriod": _WARMUP_S,
            "LaunchTemplate": {
                "LaunchTemplateId": ref(ids.LAUNCH_TEMPLATE),
                "Version": get_att(ids.LAUNCH_TEMPLATE, "LatestVersionNumber"),
            },
            # Managed termination protection (below) needs it; `spotq destroy` lifts it.
            "NewInstancesProtectedFromScaleIn": True,
            "Tags": [
                {"Key": "spotq:app", "Value": ctx.app, "PropagateAtLaunch": True},
                {"Key": "spotq:stage", "Value": ctx.stage, "PropagateAtLaunch": True},
            ],
        },
    }
