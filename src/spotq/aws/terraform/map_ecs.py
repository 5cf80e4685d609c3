"""ECS: cluster, capacity providers and their association with the cluster, the service.

A cluster's CapacityProviders (CFN: on the cluster) are a resource of their own in Terraform
(aws_ecs_cluster_capacity_providers), as AWS::ECS::ClusterCapacityProviderAssociations is; the
service depends on it, since a strategy naming an unassociated provider is refused."""

from __future__ import annotations

from typing import Any

from spotq.aws.terraform.errors import TerraformExportError
from spotq.aws.terraform.hcl import Block, Raw
from spotq.aws.terraform.intrinsics import hcl
from spotq.aws.terraform.resource import Mapping, Props, Resource, one_block, sub_blocks, tags

_STRATEGY = {"Base": "base", "Weight": "weight", "CapacityProvider": "capacity_provider"}


def _strategy(block: Block, p: Props) -> None:
    p.attrs(block, _STRATEGY)


def _resource_ref(node: Any) -> str | None:
    """The logical id a {"Ref": X} names, if it is one."""
    if (
        isinstance(node, dict)
        and list(node) == ["Ref"]
        and not str(node["Ref"]).startswith("AWS::")
    ):
        return str(node["Ref"])
    return None


def _cluster(r: Resource) -> list[Block]:
    block, p = r.block("aws_ecs_cluster"), r.props
    block.set("name", p.value("ClusterName") or r.generated_name())
    sub_blocks(block, "setting", p.items("ClusterSettings"), _setting)
    block.set("tags", tags(p))
    blocks = [block]
    if p.has("CapacityProviders") or p.has("DefaultCapacityProviderStrategy"):
        providers = r.block("aws_ecs_cluster_capacity_providers", "_capacity_providers")
        providers.set("cluster_name", Raw(f"{r.address('aws_ecs_cluster')}.name"))
        providers.set("capacity_providers", p.value("CapacityProviders"))
        strategy = p.items("DefaultCapacityProviderStrategy")
        sub_blocks(providers, "default_capacity_provider_strategy", strategy, _strategy)
        blocks.append(providers)
    p.done()
    return blocks


def _setting(block: Block, p: Props) -> None:
    p.attrs(block, {"Name": "name", "Value": "value"})


def _associations(r: Resource) -> list[Block]:
    block, p = r.block("aws_ecs_cluster_capacity_providers"), r.props
    cluster = _resource_ref(p.raw("Cluster"))
    if cluster is None:
        raise TerraformExportError(f"{p.where}.Cluster: expected a Ref to the stack's cluster")
    if r.scope.raw_resources[cluster].get("Properties", {}).get("CapacityProviders"):
        raise TerraformExportError(
            f"{p.where}: cluster {cluster} also lists CapacityProviders; Terraform allows one "
            "aws_ecs_cluster_capacity_providers per cluster"
        )
    block.set("cluster_name", Raw(r.scope.attribute(cluster, "name")))
    p.attrs(block, {"CapacityProviders": "capacity_providers"})
    strategy = p.items("DefaultCapacityProviderStrategy")
    sub_blocks(block, "default_capacity_provider_strategy", strategy, _strategy)
    p.done()
    return [block]


def _capacity_provider(r: Resource) -> list[Block]:
    block, p = r.block("aws_ecs_capacity_provider"), r.props
    block.set("name", p.value("Name") or r.generated_name())
    if (asg := p.nested("AutoScalingGroupProvider")) is not None:
        provider = block.add(Block("auto_scaling_group_provider"))
        # CFN takes the group's name (its Ref); Terraform wants its ARN.
        group = _resource_ref(asg.raw("AutoScalingGroupArn"))
        if group is None:
            raise TerraformExportError(f"{asg.where}.AutoScalingGroupArn: expected a Ref")
        provider.set("auto_scaling_group_arn", Raw(r.scope.attribute(group, "arn")))
        asg.attrs(
            provider,
            {
                "ManagedTerminationProtection": "managed_termination_protection",
                "ManagedDraining": "managed_draining",
            },
        )
        one_block(provider, "managed_scaling", asg.nested("ManagedScaling"), _MANAGED_SCALING)
        asg.done()
    block.set("tags", tags(p))
    p.done()
    return [block]


_MANAGED_SCALING = {
    "InstanceWarmupPeriod": "instance_warmup_period",
    "MaximumScalingStepSize": "maximum_scaling_step_size",
    "MinimumScalingStepSize": "minimum_scaling_step_size",
    "Status": "status",
    "TargetCapacity": "target_capacity",
}


def _service(r: Resource) -> list[Block]:
    block, p = r.block("aws_ecs_service"), r.props
    block.set("name", p.value("ServiceName") or r.generated_name())
    cluster = _resource_ref(p.raw("Cluster"))
    if cluster is None:
        raise TerraformExportError(f"{p.where}.Cluster: expected a Ref to the stack's cluster")
    block.set("cluster", Raw(r.scope.attribute(cluster, "arn")))
    if r.scope.raw_resources[cluster].get("Properties", {}).get("CapacityProviders"):
        r.depends_on.append(
            f"aws_ecs_cluster_capacity_providers.{r.scope.label(cluster)}_capacity_providers"
        )
    p.attrs(block, _SERVICE_ATTRS)
    # spotq's scaler (or Application Auto Scaling) owns the task count after the first apply.
    r.ignore_changes.append("desired_count")
    sub_blocks(block, "capacity_provider_strategy", p.items("CapacityProviderStrategy"), _strategy)
    if (deployment := p.nested("DeploymentConfiguration")) is not None:
        _deployment(block, deployment)
    if (network := p.nested("NetworkConfiguration")) is not None:
        _network(block, network)
    sub_blocks(block, "placement_constraints", p.items("PlacementConstraints"), _constraint)
    sub_blocks(block, "ordered_placement_strategy", p.items("PlacementStrategies"), _placement)
    sub_blocks(block, "load_balancer", p.items("LoadBalancers"), _load_balancer)
    block.set("tags", tags(p))
    p.done()
    return [block]


_SERVICE_ATTRS = {
    "TaskDefinition": "task_definition",
    "DesiredCount": "desired_count",
    "LaunchType": "launch_type",
    "PlatformVersion": "platform_version",
    "PropagateTags": "propagate_tags",
    "EnableECSManagedTags": "enable_ecs_managed_tags",
    "EnableExecuteCommand": "enable_execute_command",
    "HealthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
}


def _deployment(block: Block, p: Props) -> None:
    p.attrs(
        block,
        {
            "MaximumPercent": "deployment_maximum_percent",
            "MinimumHealthyPercent": "deployment_minimum_healthy_percent",
        },
    )
    one_block(
        block,
        "deployment_circuit_breaker",
        p.nested("DeploymentCircuitBreaker"),
        {"Enable": "enable", "Rollback": "rollback"},
    )
    p.done()


def _network(block: Block, p: Props) -> None:
    vpc = p.nested("AwsvpcConfiguration")
    if vpc is not None:
        network = block.add(Block("network_configuration"))
        vpc.attrs(network, {"Subnets": "subnets", "SecurityGroups": "security_groups"})
        if vpc.has("AssignPublicIp"):  # CFN: ENABLED/DISABLED; Terraform: a bool
            value = hcl(vpc.scope, vpc.raw("AssignPublicIp"))
            network.set("assign_public_ip", Raw(f'{value} == "ENABLED"'))
        vpc.done()
    p.done()


def _constraint(block: Block, p: Props) -> None:
    p.attrs(block, {"Type": "type", "Expression": "expression"})


def _placement(block: Block, p: Props) -> None:
    p.attrs(block, {"Type": "type", "Field": "field"})


def _load_balancer(block: Block, p: Props) -> None:
    p.attrs(
        block,
        {
            "TargetGroupArn": "target_group_arn",
            "ContainerName": "container_name",
            "ContainerPort": "container_port",
        },
    )


MAPPINGS = {
    "AWS::ECS::Cluster": Mapping("aws_ecs_cluster", "name", {"Arn": "arn"}, _cluster),
    "AWS::ECS::ClusterCapacityProviderAssociations": Mapping(
        "aws_ecs_cluster_capacity_providers", "id", {}, _associations
    ),
    "AWS::ECS::CapacityProvider": Mapping(
        "aws_ecs_capacity_provider", "name", {}, _capacity_provider
    ),
    "AWS::ECS::Service": Mapping(
        "aws_ecs_service", "id", {"Name": "name", "ServiceArn": "id"}, _service
    ),
}
