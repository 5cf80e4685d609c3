"""The ECS cluster, the worker service and its security group."""

from __future__ import annotations

from spotq.aws.synth import ids
from spotq.aws.synth.cfn import Json, checkov_skips, if_, ref, tags
from spotq.aws.synth.context import Context, ScalingEngine, Target


def cluster(ctx: Context) -> Json:
    # Target tracking reads the running task count from Container Insights; spotq's scaler asks
    # ECS directly, so with it Container Insights would only add metric charges.
    insights = ctx.engine is ScalingEngine.AWS_TARGET_TRACKING
    props: Json = {
        "ClusterSettings": [
            {"Name": "containerInsights", "Value": "enabled" if insights else "disabled"}
        ],
        "Tags": tags(ctx.app, ctx.stage),
    }
    if ctx.target is Target.FARGATE_SPOT:
        props["CapacityProviders"] = ["FARGATE", "FARGATE_SPOT"]
    resource: Json = {"Type": "AWS::ECS::Cluster", "Properties": props}
    if not insights:
        resource["Metadata"] = checkov_skips(
            (
                "CKV_AWS_65",
                "spotq's scaler reads task counts from ECS and queue depth from SQS and logs "
                "each decision as metrics; Container Insights would bill per-task metrics "
                "nothing reads. `--scaling-engine aws-target-tracking` turns it on.",
            )
        )
    return resource


def security_group(ctx: Context) -> Json:
    """Created only when no security groups are passed: no ingress, HTTPS egress (AWS APIs,
    ECR, S3). DNS goes to the VPC resolver, which security groups do not filter."""
    return {
        "Type": "AWS::EC2::SecurityGroup",
        "Condition": ids.C_CREATE_SG,
        "Properties": {
            "GroupDescription": f"spotq {ctx.app} workers: no ingress, HTTPS egress only",
            "VpcId": ref(ids.P_VPC),
            "SecurityGroupEgress": [
                {
                    "Description": "HTTPS to AWS APIs, ECR and S3",
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "CidrIp": "0.0.0.0/0",
                }
            ],
            "Tags": tags(ctx.app, ctx.stage, "workers"),
        },
    }


def security_group_ids() -> Json:
    return if_(ids.C_CREATE_SG, [ref(ids.SECURITY_GROUP)], ref(ids.P_SECURITY_GROUPS))


def service(ctx: Context) -> Json:
    props: Json = {
        "Cluster": ref(ids.CLUSTER),
        "TaskDefinition": ref(ids.TASK_DEFINITION),
        # Application Auto Scaling owns the count from here; CloudFormation only sends changed
        # properties on update, so this 0 does not reset a running fleet.
        "DesiredCount": 0,
        "DeploymentConfiguration": deployment_configuration(ctx),
        "EnableECSManagedTags": True,
        "PropagateTags": "SERVICE",
        "Tags": tags(ctx.app, ctx.stage),
    }
    depends_on: list[str] = []
    if ctx.target is Target.FARGATE_SPOT:
        props.update(_fargate_service())
    else:
        props.update(_ec2_service(ctx))
        depends_on.append(ids.CAPACITY_ASSOCIATION)
    resource: Json = {"Type": "AWS::ECS::Service", "Properties": props}
    if depends_on:
        resource["DependsOn"] = depends_on
    return resource


def deployment_configuration(ctx: Context) -> Json:
    """How a new task definition rolls out. Fargate has no host cap: keep every worker until its
    replacement runs. EC2 hosts are capped (MaxInstances), so at full scale there is no room for a
    second copy, and ECS rounds MinimumHealthyPercent up (50% of one task is one task): only 0
    lets a rollout proceed at any scale. Old workers then drain (SIGTERM: held jobs go back to
    the queue) as new ones start; the queue holds the work meanwhile. With distinct_instance a
    task is a whole host, so MaximumPercent 100 never asks for extra hosts during a rollout.
    The circuit breaker rolls back a task definition whose tasks keep failing to start."""
    if ctx.target is Target.FARGATE_SPOT:
        minimum, maximum = 100, 200
    else:
        minimum, maximum = 0, 100 if ctx.options.distinct_instance else 200
    return {
        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
        "MaximumPercent": maximum,
        "MinimumHealthyPercent": minimum,
    }


def _fargate_service() -> Json:
    return {
        "CapacityProviderStrategy": [
            {"CapacityProvider": "FARGATE_SPOT", "Weight": ref(ids.P_SPOT_WEIGHT), "Base": 0},
            {"CapacityProvider": "FARGATE", "Weight": ref(ids.P_ON_DEMAND_WEIGHT), "Base": 0},
        ],
        "PlatformVersion": "LATEST",
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "AssignPublicIp": ref(ids.P_PUBLIC_IP),
                "SecurityGroups": security_group_ids(),
                "Subnets": ref(ids.P_SUBNETS),
            }
        },
    }


def _ec2_service(ctx: Context) -> Json:
    props: Json = {
        "CapacityProviderStrategy": [
            {"CapacityProvider": ref(ids.CAPACITY_PROVIDER), "Weight": 1, "Base": 0}
        ],
        "PlacementStrategies": [
            {"Type": "spread", "Field": "attribute:ecs.availability-zone"},
            {"Type": "binpack", "Field": "memory"},
        ],
    }
    if ctx.options.distinct_instance:  # one task per host (the whole host for one model)
        props["PlacementConstraints"] = [{"Type": "distinctInstance"}]
    return props
