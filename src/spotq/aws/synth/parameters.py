"""Template parameters and conditions: networking, image, limits, and the EC2 capacity knobs."""

from __future__ import annotations

from spotq.aws.synth import ids
from spotq.aws.synth.cfn import Json, ref
from spotq.aws.synth.context import LOG_RETENTION_DAYS, Context, ScalingEngine, Target
from spotq.aws.synth.sizing import default_instance_types

MAX_INSTANCE_TYPES = 6
# The public SSM parameters AWS keeps pointed at the latest ECS-optimized AMIs.
_AMI_PARAMETER = {
    Target.EC2_SPOT: "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
    Target.GPU: "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id",
}


def parameters(ctx: Context) -> Json:
    params: Json = {
        ids.P_IMAGE: _p("String", "Worker image URI (see `spotq dockerfile`)", MinLength=1),
        ids.P_REPOSITORY_ARN: _p(
            "String",
            "ARN of the ECR repository holding the image ('' for a public image)",
            Default="",
        ),
        ids.P_VPC: _p("AWS::EC2::VPC::Id", "VPC the workers run in"),
        ids.P_SUBNETS: _p(
            "List<AWS::EC2::Subnet::Id>", "Subnets for the workers (several AZs; private + NAT)"
        ),
        ids.P_SECURITY_GROUPS: _p(
            "CommaDelimitedList",
            "Security groups for the workers; empty creates one allowing HTTPS egress only",
            Default="",
        ),
        ids.P_MAX_WORKERS: _p(
            "Number", "Most worker tasks", Default=ctx.scaling.max_workers, MinValue=1
        ),
        ids.P_LOG_RETENTION: _p(
            "Number",
            "Days to keep worker logs",
            Default=ctx.settings.log_retention_days,
            AllowedValues=list(LOG_RETENTION_DAYS),
        ),
        ids.P_ALARM_TOPIC: _p(
            "String", "SNS topic ARN the alarms notify ('' for none)", Default=""
        ),
        ids.P_AGE_ALARM_S: _p(
            "Number",
            "Alarm when the oldest queued job is older than this (seconds)",
            Default=max(900, 4 * ctx.options.visibility_timeout_s),
            MinValue=60,
        ),
        ids.P_MODEL_ARN: _p(
            "String",
            "S3 object ARN pattern the workers may read a model from, e.g. "
            "arn:aws:s3:::my-models/whisper/* ('' for a model baked into the image)",
            Default="",
        ),
    }
    if ctx.target is Target.FARGATE_SPOT:
        params.update(_fargate_parameters())
    else:
        params.update(_ec2_parameters(ctx))
    if ctx.engine is ScalingEngine.SPOTQ:
        params.update(_scaler_parameters())
    return params


def _scaler_parameters() -> Json:
    # No defaults: `spotq deploy` uploads the scaler's zip and passes where it put it.
    return {
        ids.P_SCALER_BUCKET: _p("String", "S3 bucket holding the scaler's code zip", MinLength=3),
        ids.P_SCALER_KEY: _p("String", "S3 key of the scaler's code zip", MinLength=1),
    }


def _fargate_parameters() -> Json:
    return {
        ids.P_PUBLIC_IP: _p(
            "String",
            "Give tasks a public IP (only for public subnets without a NAT gateway)",
            Default="DISABLED",
            AllowedValues=["DISABLED", "ENABLED"],
        ),
        # ECS places tasks by these weights and never falls back from Spot to on-demand, so the
        # default is all Spot (what `plan` and `simulate` price); e.g. 4 and 1 put about one
        # task in five on on-demand Fargate.
        ids.P_SPOT_WEIGHT: _p("Number", "Weight of FARGATE_SPOT in the mix", Default=1, MinValue=0),
        ids.P_ON_DEMAND_WEIGHT: _p(
            "Number", "Weight of on-demand FARGATE in the mix", Default=0, MinValue=0
        ),
    }


def _ec2_parameters(ctx: Context) -> Json:
    types = ctx.settings.instance_types or default_instance_types(ctx.options, ctx.target)
    return {
        ids.P_AMI: _p(
            "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
            "ECS-optimized AMI (public SSM parameter)",
            Default=_AMI_PARAMETER[ctx.target],
        ),
        ids.P_INSTANCE_TYPES: _p(
            "CommaDelimitedList",
            f"1-{MAX_INSTANCE_TYPES} instance types for the pool. Order is a priority only "
            "for on-demand instances and, best effort, for spot with "
            "capacity-optimized-prioritized; the other spot strategies ignore it",
            Default=",".join(types),
        ),
        ids.P_MAX_INSTANCES: _p(
            "Number", "Most EC2 instances", Default=ctx.scaling.max_workers, MinValue=1
        ),
        ids.P_ON_DEMAND_BASE: _p("Number", "On-demand instances always in the mix", Default=0),
        ids.P_ON_DEMAND_PERCENT: _p(
            "Number", "On-demand share above the base (%)", Default=0, MinValue=0, MaxValue=100
        ),
        ids.P_SPOT_STRATEGY: _p(
            "String",
            "How the group picks spot pools: capacity-optimized (the pools least likely to be "
            "interrupted, InstanceTypes order ignored), capacity-optimized-prioritized (the "
            "same, following InstanceTypes order where capacity allows), "
            "price-capacity-optimized (the cheapest of the least-interrupted pools)",
            Default="capacity-optimized",
            AllowedValues=[
                "capacity-optimized",
                "capacity-optimized-prioritized",
                "price-capacity-optimized",
            ],
        ),
        ids.P_TARGET_CAPACITY: _p(
            "Number", "Capacity provider target utilisation (%)", Default=100, MinValue=1
        ),
        ids.P_SSM_ACCESS: _p(
            "String",
            "Let AWS Systems Manager Session Manager open shells on the hosts (adds "
            "AmazonSSMManagedInstanceCore to the instance role; no SSH port is opened)",
            Default="false",
            AllowedValues=["false", "true"],
        ),
        ids.P_ROOT_VOLUME: _p(
            "Number",
            "Root volume size (GiB); images with models need room",
            Default=100 if ctx.target is Target.GPU else 30,
            MinValue=30,
        ),
    }


def _p(type_: str, description: str, **extra: object) -> Json:
    return {"Type": type_, "Description": description, **extra}


def conditions(ctx: Context) -> Json:
    conds: Json = {
        ids.C_CREATE_SG: _is_empty({"Fn::Join": ["", ref(ids.P_SECURITY_GROUPS)]}),
        ids.C_HAS_ALARM_TOPIC: {"Fn::Not": [_is_empty(ref(ids.P_ALARM_TOPIC))]},
        ids.C_HAS_REPOSITORY: {"Fn::Not": [_is_empty(ref(ids.P_REPOSITORY_ARN))]},
        ids.C_HAS_MODEL: {"Fn::Not": [_is_empty(ref(ids.P_MODEL_ARN))]},
    }
    if ctx.target.is_ec2:
        for index in range(1, MAX_INSTANCE_TYPES):
            conds[ids.has_instance_type(index)] = {"Fn::Not": [_is_empty(instance_type_at(index))]}
        conds[ids.C_SSM_ACCESS] = {"Fn::Equals": [ref(ids.P_SSM_ACCESS), "true"]}
    return conds


def instance_type_at(index: int) -> Json:
    """The index-th entry of the InstanceTypes parameter, or '' past its end (padded list)."""
    padded = {
        "Fn::Join": ["", [{"Fn::Join": [",", ref(ids.P_INSTANCE_TYPES)]}, "," * MAX_INSTANCE_TYPES]]
    }
    return {"Fn::Select": [index, {"Fn::Split": [",", padded]}]}


def _is_empty(value: Json) -> Json:
    return {"Fn::Equals": [value, ""]}
