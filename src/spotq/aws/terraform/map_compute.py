"""EC2 (security group, launch template), the Auto Scaling group, the scaler's Lambda function
and its EventBridge Scheduler schedule."""

from __future__ import annotations

from collections.abc import Callable

from spotq.aws.terraform.errors import TerraformExportError
from spotq.aws.terraform.hcl import Block
from spotq.aws.terraform.resource import Mapping, Props, Resource, one_block, sub_blocks, tags


def _security_group(r: Resource) -> list[Block]:
    block, p = r.block("aws_security_group"), r.props
    p.attrs(block, {"GroupName": "name", "GroupDescription": "description", "VpcId": "vpc_id"})
    sub_blocks(block, "ingress", p.items("SecurityGroupIngress"), _rule("SourceSecurityGroupId"))
    sub_blocks(block, "egress", p.items("SecurityGroupEgress"), _rule("DestinationSecurityGroupId"))
    block.set("tags", tags(p))
    p.done()
    return [block]


def _rule(peer_key: str) -> Callable[[Block, Props], None]:
    def fill(block: Block, p: Props) -> None:
        p.attrs(
            block,
            {
                "Description": "description",
                "FromPort": "from_port",
                "ToPort": "to_port",
                "IpProtocol": "protocol",
            },
        )
        for cfn_name, tf_name in (
            ("CidrIp", "cidr_blocks"),
            ("CidrIpv6", "ipv6_cidr_blocks"),
            (peer_key, "security_groups"),
        ):
            if p.has(cfn_name):  # one value in CFN, a list in Terraform
                block.set(tf_name, [p.value(cfn_name)])

    return fill


def _launch_template(r: Resource) -> list[Block]:
    block, p = r.block("aws_launch_template"), r.props
    p.attrs(block, {"LaunchTemplateName": "name"})
    if (data := p.nested("LaunchTemplateData")) is not None:
        data.attrs(
            block,
            {
                "ImageId": "image_id",
                "InstanceType": "instance_type",
                "SecurityGroupIds": "vpc_security_group_ids",
                "UserData": "user_data",
                "EbsOptimized": "ebs_optimized",
            },
        )
        sub_blocks(block, "block_device_mappings", data.items("BlockDeviceMappings"), _device)
        one_block(block, "iam_instance_profile", data.nested("IamInstanceProfile"), _PROFILE)
        one_block(block, "metadata_options", data.nested("MetadataOptions"), _METADATA)
        one_block(block, "monitoring", data.nested("Monitoring"), {"Enabled": "enabled"})
        sub_blocks(block, "tag_specifications", data.items("TagSpecifications"), _tag_spec)
        data.done()
    p.done()
    return [block]


_PROFILE = {"Arn": "arn", "Name": "name"}
_METADATA = {
    "HttpEndpoint": "http_endpoint",
    "HttpPutResponseHopLimit": "http_put_response_hop_limit",
    "HttpTokens": "http_tokens",
    "InstanceMetadataTags": "instance_metadata_tags",
}


def _device(block: Block, p: Props) -> None:
    p.attrs(block, {"DeviceName": "device_name"})
    one_block(
        block,
        "ebs",
        p.nested("Ebs"),
        {
            "DeleteOnTermination": "delete_on_termination",
            "Encrypted": "encrypted",
            "KmsKeyId": "kms_key_id",
            "VolumeSize": "volume_size",
            "VolumeType": "volume_type",
            "Iops": "iops",
            "Throughput": "throughput",
        },
    )


def _tag_spec(block: Block, p: Props) -> None:
    p.attrs(block, {"ResourceType": "resource_type"})
    block.set("tags", tags(p))


def _auto_scaling_group(r: Resource) -> list[Block]:
    block, p = r.block("aws_autoscaling_group"), r.props
    p.attrs(block, _ASG_ATTRS)
    # The capacity provider's managed scaling owns the group's desired capacity.
    r.ignore_changes.append("desired_capacity")
    if (policy := p.nested("MixedInstancesPolicy")) is not None:
        _mixed_instances(block.add(Block("mixed_instances_policy")), policy)
    one_block(block, "launch_template", p.nested("LaunchTemplate"), _ASG_LT)
    sub_blocks(block, "tag", p.items("Tags"), _asg_tag)
    if _managed_by_ecs(r):
        # ECS tags a capacity provider's group AmazonECSManaged; declared here so that Terraform
        # does not remove it on the next apply.
        tag = block.add(Block("tag"))
        tag.set("key", "AmazonECSManaged")
        tag.set("value", "true")
        tag.set("propagate_at_launch", True)
    p.done()
    return [block]


_ASG_ATTRS = {
    "AutoScalingGroupName": "name",
    "MinSize": "min_size",
    "MaxSize": "max_size",
    "DesiredCapacity": "desired_capacity",
    "CapacityRebalance": "capacity_rebalance",
    "HealthCheckGracePeriod": "health_check_grace_period",
    "HealthCheckType": "health_check_type",
    "VPCZoneIdentifier": "vpc_zone_identifier",
    "NewInstancesProtectedFromScaleIn": "protect_from_scale_in",
    "DefaultInstanceWarmup": "default_instance_warmup",
}
_ASG_LT = {"LaunchTemplateId": "id", "LaunchTemplateName": "name", "Version": "version"}
_LT_SPEC = {
    "LaunchTemplateId": "launch_template_id",
    "LaunchTemplateName": "launch_template_name",
    "Version": "version",
}


def _managed_by_ecs(r: Resource) -> bool:
    for resource in r.scope.raw_resources.values():
        if resource.get("Type") == "AWS::ECS::CapacityProvider":
            group = resource["Properties"]["AutoScalingGroupProvider"]["AutoScalingGroupArn"]
            if group == {"Ref": r.logical}:
                return True
    return False


def _mixed_instances(block: Block, p: Props) -> None:
    one_block(
        block,
        "instances_distribution",
        p.nested("InstancesDistribution"),
        {
            "OnDemandAllocationStrategy": "on_demand_allocation_strategy",
            "OnDemandBaseCapacity": "on_demand_base_capacity",
            "OnDemandPercentageAboveBaseCapacity": "on_demand_percentage_above_base_capacity",
            "SpotAllocationStrategy": "spot_allocation_strategy",
            "SpotInstancePools": "spot_instance_pools",
            "SpotMaxPrice": "spot_max_price",
        },
    )
    template = p.nested("LaunchTemplate")
    if template is None:
        raise TerraformExportError(f"{p.where}: expected a LaunchTemplate")
    launch = block.add(Block("launch_template"))
    one_block(
        launch,
        "launch_template_specification",
        template.nested("LaunchTemplateSpecification"),
        _LT_SPEC,
    )
    sub_blocks(launch, "override", template.items("Overrides"), _override)
    template.done()
    p.done()


def _override(block: Block, p: Props) -> None:
    p.attrs(block, {"InstanceType": "instance_type", "WeightedCapacity": "weighted_capacity"})


def _asg_tag(block: Block, p: Props) -> None:
    p.attrs(block, {"Key": "key", "Value": "value", "PropagateAtLaunch": "propagate_at_launch"})


def _function(r: Resource) -> list[Block]:
    block, p = r.block("aws_lambda_function"), r.props
    block.set("function_name", p.value("FunctionName") or r.generated_name())
    p.attrs(block, _FUNCTION_ATTRS)
    if (code := p.nested("Code")) is not None:
        code.attrs(
            block,
            {"S3Bucket": "s3_bucket", "S3Key": "s3_key", "S3ObjectVersion": "s3_object_version",
             "ImageUri": "image_uri"},
        )  # fmt: skip
        code.done()
    if (env := p.nested("Environment")) is not None:
        one_block(block, "environment", env, {"Variables": "variables"})
    one_block(
        block,
        "logging_config",
        p.nested("LoggingConfig"),
        {
            "LogFormat": "log_format",
            "LogGroup": "log_group",
            "ApplicationLogLevel": "application_log_level",
            "SystemLogLevel": "system_log_level",
        },
    )
    one_block(block, "tracing_config", p.nested("TracingConfig"), {"Mode": "mode"})
    one_block(
        block, "dead_letter_config", p.nested("DeadLetterConfig"), {"TargetArn": "target_arn"}
    )
    block.set("tags", tags(p))
    p.done()
    return [block]


_FUNCTION_ATTRS = {
    "Architectures": "architectures",
    "Description": "description",
    "Handler": "handler",
    "MemorySize": "memory_size",
    "ReservedConcurrentExecutions": "reserved_concurrent_executions",
    "Role": "role",
    "Runtime": "runtime",
    "Timeout": "timeout",
    "KmsKeyArn": "kms_key_arn",
    "PackageType": "package_type",
}


def _schedule(r: Resource) -> list[Block]:
    block, p = r.block("aws_scheduler_schedule"), r.props
    p.attrs(
        block,
        {
            "Name": "name",
            "GroupName": "group_name",
            "Description": "description",
            "ScheduleExpression": "schedule_expression",
            "ScheduleExpressionTimezone": "schedule_expression_timezone",
            "State": "state",
        },
    )
    one_block(
        block,
        "flexible_time_window",
        p.nested("FlexibleTimeWindow"),
        {"Mode": "mode", "MaximumWindowInMinutes": "maximum_window_in_minutes"},
    )
    if (target := p.nested("Target")) is not None:
        out = block.add(Block("target"))
        target.attrs(out, {"Arn": "arn", "RoleArn": "role_arn", "Input": "input"})
        one_block(
            out,
            "retry_policy",
            target.nested("RetryPolicy"),
            {
                "MaximumRetryAttempts": "maximum_retry_attempts",
                "MaximumEventAgeInSeconds": "maximum_event_age_in_seconds",
            },
        )
        one_block(out, "dead_letter_config", target.nested("DeadLetterConfig"), {"Arn": "arn"})
        target.done()
    p.done()
    return [block]


MAPPINGS = {
    "AWS::EC2::SecurityGroup": Mapping(
        "aws_security_group", "id", {"GroupId": "id", "VpcId": "vpc_id"}, _security_group
    ),
    "AWS::EC2::LaunchTemplate": Mapping(
        "aws_launch_template",
        "id",
        {
            "LaunchTemplateId": "id",
            "LatestVersionNumber": "latest_version",
            "DefaultVersionNumber": "default_version",
        },
        _launch_template,
    ),
    "AWS::AutoScaling::AutoScalingGroup": Mapping(
        "aws_autoscaling_group", "name", {}, _auto_scaling_group
    ),
    "AWS::Lambda::Function": Mapping(
        "aws_lambda_function", "function_name", {"Arn": "arn"}, _function
    ),
    "AWS::Scheduler::Schedule": Mapping(
        "aws_scheduler_schedule", "name", {"Arn": "arn"}, _schedule
    ),
}
