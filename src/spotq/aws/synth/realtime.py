"""`spotq synth --target realtime-fargate | realtime-gpu`: one CloudFormation template for an app
served by `spotq serve` behind an internet-facing ALB, on Fargate or on GPU hosts.

Resource groups: realtime_edge (ALB, listeners, target group, security groups, access-log
bucket), realtime_tasks (cluster, task definition, service, logs, API key, roles),
realtime_hosts (GPU capacity), realtime_scaling (ALBRequestCountPerTarget tracking, alarms).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from spotq.app import App
from spotq.aws.synth import realtime_ids as ids
from spotq.aws.synth.cfn import Json, get_att, ref, sub
from spotq.aws.synth.context import LOG_RETENTION_DAYS, Target
from spotq.aws.synth.realtime_context import (
    RealtimeContext,
    RealtimeSettings,
    RealtimeTarget,
    make_realtime_context,
)
from spotq.aws.synth.realtime_edge import edge
from spotq.aws.synth.realtime_hosts import hosts
from spotq.aws.synth.realtime_scaling import scaling
from spotq.aws.synth.realtime_tasks import tasks
from spotq.aws.synth.sizing import default_instance_types

__all__ = ["RealtimeSettings", "RealtimeTarget", "synth_realtime"]

APP_DIR = "/app"  # where `spotq dockerfile` puts the app file in the image
_GPU_AMI = "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"


def synth_realtime(
    app: App,
    target: RealtimeTarget,
    settings: RealtimeSettings | None = None,
    app_ref: str | None = None,
) -> Json:
    """The template for serving `app` (app_ref: the app file as given to `spotq dockerfile`)."""
    name, _, attr = (app_ref or f"{app.name}.py").partition(":")
    in_image = f"{APP_DIR}/{PurePosixPath(name).name}" + (f":{attr}" if attr else "")
    ctx = make_realtime_context(app, target, settings or RealtimeSettings(), in_image)
    resources: Json = {**edge(ctx), **tasks(ctx), **scaling(ctx)}
    if ctx.is_gpu:
        resources.update(hosts(ctx))
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            f"spotq app '{ctx.app}' on {target.value}: `spotq serve` behind an ALB "
            "(synthesized by `spotq synth`)"
        ),
        "Metadata": {"spotq": {"app": ctx.app, "stage": ctx.stage, "target": target.value}},
        "Parameters": _parameters(ctx),
        "Conditions": {
            ids.C_HAS_ALARM_TOPIC: {"Fn::Not": [{"Fn::Equals": [ref(ids.P_ALARM_TOPIC), ""]}]},
            ids.C_HAS_REPOSITORY: {"Fn::Not": [{"Fn::Equals": [ref(ids.P_REPOSITORY_ARN), ""]}]},
        },
        "Resources": resources,
        "Outputs": _outputs(),
    }


def _p(type_: str, description: str, **extra: object) -> Json:
    return {"Type": type_, "Description": description, **extra}


def _parameters(ctx: RealtimeContext) -> Json:
    s = ctx.settings
    params: Json = {
        ids.P_IMAGE: _p("String", "Image URI (see `spotq dockerfile`)", MinLength=1),
        ids.P_REPOSITORY_ARN: _p(
            "String", "ECR repository ARN ('' for a public image)", Default=""
        ),
        ids.P_VPC: _p("AWS::EC2::VPC::Id", "VPC of the service"),
        ids.P_PUBLIC_SUBNETS: _p("List<AWS::EC2::Subnet::Id>", "Public subnets for the ALB"),
        ids.P_TASK_SUBNETS: _p(
            "List<AWS::EC2::Subnet::Id>", "Private subnets (with NAT) for the tasks"
        ),
        ids.P_CERTIFICATE: _p("String", "ACM certificate ARN for the HTTPS listener", MinLength=1),
        ids.P_ALLOWED_CIDR: _p(
            "String", "Clients allowed to reach the ALB", Default="0.0.0.0/0", MinLength=9
        ),
        ids.P_MIN_TASKS: _p("Number", "Fewest tasks", Default=s.min_tasks, MinValue=1),
        ids.P_MAX_TASKS: _p("Number", "Most tasks", Default=s.max_tasks, MinValue=1),
        ids.P_REQUESTS_PER_TARGET: _p(
            "Number",
            f"Target requests per task per minute (rps_per_task={ctx.options.rps_per_task} "
            f"x 60 x {s.target_utilisation})",
            Default=ctx.requests_per_task_per_minute,
            MinValue=1,
        ),
        ids.P_LATENCY_ALARM_S: _p(
            "Number",
            "Alarm when p95 target response time is over this (seconds)",
            Default=round(ctx.options.latency_budget_ms / 1000, 3),
        ),
        ids.P_5XX_ALARM: _p("Number", "Alarm above this many 5xx per minute", Default=10),
        ids.P_ALARM_TOPIC: _p("String", "SNS topic the alarms notify ('' for none)", Default=""),
        ids.P_LOG_RETENTION: _p(
            "Number",
            "Days to keep server logs",
            Default=s.log_retention_days,
            AllowedValues=list(LOG_RETENTION_DAYS),
        ),
    }
    if ctx.is_gpu:
        params.update(_gpu_parameters(ctx))
    return params


def _gpu_parameters(ctx: RealtimeContext) -> Json:
    types = default_instance_types(ctx.options, Target.GPU)
    return {
        ids.P_AMI: _p(
            "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
            "ECS GPU-optimized AMI (public SSM parameter)",
            Default=_GPU_AMI,
        ),
        ids.P_INSTANCE_TYPE: _p("String", "GPU instance type of the hosts", Default=types[0]),
        # One host above MaxTasks: a rollout at full scale (MinimumHealthyPercent 100) starts one
        # new task there, then stops an old one, and so on; the spare host exists only meanwhile.
        ids.P_MAX_INSTANCES: _p(
            "Number",
            "Most GPU hosts (MaxTasks + 1: room for a rollout at full scale)",
            Default=ctx.settings.max_tasks + 1,
            MinValue=1,
        ),
        ids.P_ROOT_VOLUME: _p("Number", "Root volume (GiB)", Default=100, MinValue=30),
    }


def _outputs() -> Json:
    values: dict[str, tuple[str, Json]] = {
        "ServiceUrl": ("HTTPS URL of the service", sub(f"https://${{{ids.ALB}.DNSName}}")),
        "StreamUrl": ("WebSocket URL for streams", sub(f"wss://${{{ids.ALB}.DNSName}}/v1/stream")),
        "LoadBalancerDnsName": ("Point your domain's CNAME here", get_att(ids.ALB, "DNSName")),
        "ApiKeySecretArn": ("Secret holding the clients' bearer key", ref(ids.API_KEY)),
        "ClusterName": ("ECS cluster", ref(ids.CLUSTER)),
        "ServiceName": ("ECS service", get_att(ids.SERVICE, "Name")),
        "LogGroupName": ("Server log group", ref(ids.LOG_GROUP)),
        "AccessLogBucket": ("ALB access logs", ref(ids.LOG_BUCKET)),
    }
    return {k: {"Description": d, "Value": v} for k, (d, v) in values.items()}
