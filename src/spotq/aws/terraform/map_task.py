"""The ECS task definition. Its container definitions are the ECS API's JSON (camelCase keys),
written with jsonencode(); CloudFormation spells the same keys in PascalCase."""

from __future__ import annotations

from typing import Any

from spotq.aws.terraform.errors import TerraformExportError
from spotq.aws.terraform.hcl import Block, Call, Optional, Raw, Value, expr
from spotq.aws.terraform.intrinsics import convert, is_intrinsic, optional_item
from spotq.aws.terraform.resource import Mapping, Props, Resource, one_block, sub_blocks, tags
from spotq.aws.terraform.scope import Scope

# The container properties the exporter knows; a new one must be added here (and checked
# against the ECS API's name for it) before it is exported.
_CONTAINER_KEYS = frozenset(
    {
        "Command", "Cpu", "DependsOn", "DockerLabels", "EntryPoint", "Environment",
        "EnvironmentFiles", "Essential", "HealthCheck", "Image", "LinuxParameters",
        "LogConfiguration", "Memory", "MemoryReservation", "MountPoints", "Name",
        "PortMappings", "Privileged", "ReadonlyRootFilesystem", "ResourceRequirements",
        "Secrets", "StartTimeout", "StopTimeout", "Ulimits", "User", "WorkingDirectory",
    }
)  # fmt: skip
# Objects whose keys are the user's own (log driver options, labels): kept as written.
_VERBATIM = frozenset({"Options", "DockerLabels"})


def container_definitions(scope: Scope, node: Any, where: str) -> Call:
    if not isinstance(node, list):
        raise TerraformExportError(f"{where}: expected a list of containers")
    for index, container in enumerate(node):
        unknown = set(container) - _CONTAINER_KEYS if isinstance(container, dict) else set()
        if unknown:
            raise TerraformExportError(
                f"{where}[{index}]: no Terraform mapping for {', '.join(sorted(unknown))}"
            )
    return Call("jsonencode", _api_json(scope, node))


def _api_json(scope: Scope, node: Any) -> Value:
    if isinstance(node, list):
        return [_api_element(scope, item) for item in node]
    if isinstance(node, dict) and list(node) == ["Fn::If"]:
        cond, when_true, when_false = node["Fn::If"]
        yes, no = expr(_api_json(scope, when_true)), expr(_api_json(scope, when_false))
        return Raw(f"({scope.condition(cond)} ? {yes} : {no})")
    if is_intrinsic(node):
        return convert(scope, node)
    if isinstance(node, dict):
        return {
            _camel(key): convert(scope, value) if key in _VERBATIM else _api_json(scope, value)
            for key, value in node.items()
        }
    return convert(scope, node)


def _api_element(scope: Scope, item: Any) -> Value:
    optional = optional_item(item)
    if optional is None:
        return _api_json(scope, item)
    return Optional(scope.condition(optional[0]), _api_json(scope, optional[1]))


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:]


def _task_definition(r: Resource) -> list[Block]:
    block, p = r.block("aws_ecs_task_definition"), r.props
    p.attrs(
        block,
        {
            "Family": "family",
            "Cpu": "cpu",
            "Memory": "memory",
            "NetworkMode": "network_mode",
            "RequiresCompatibilities": "requires_compatibilities",
            "ExecutionRoleArn": "execution_role_arn",
            "TaskRoleArn": "task_role_arn",
            "PidMode": "pid_mode",
            "IpcMode": "ipc_mode",
        },
    )
    if p.has("ContainerDefinitions"):
        where = f"{p.where}.ContainerDefinitions"
        block.set(
            "container_definitions",
            container_definitions(r.scope, p.raw("ContainerDefinitions"), where),
        )
    one_block(
        block,
        "runtime_platform",
        p.nested("RuntimePlatform"),
        {"OperatingSystemFamily": "operating_system_family", "CpuArchitecture": "cpu_architecture"},
    )
    one_block(
        block, "ephemeral_storage", p.nested("EphemeralStorage"), {"SizeInGiB": "size_in_gib"}
    )
    sub_blocks(block, "volume", p.items("Volumes"), _volume)
    sub_blocks(block, "placement_constraints", p.items("PlacementConstraints"), _constraint)
    block.set("tags", tags(p))
    p.done()
    return [block]


def _volume(block: Block, p: Props) -> None:
    p.attrs(block, {"Name": "name"})
    if (host := p.nested("Host")) is not None:
        host.attrs(block, {"SourcePath": "host_path"})
        host.done()


def _constraint(block: Block, p: Props) -> None:
    p.attrs(block, {"Type": "type", "Expression": "expression"})


MAPPINGS = {
    "AWS::ECS::TaskDefinition": Mapping(
        "aws_ecs_task_definition", "arn", {"TaskDefinitionArn": "arn"}, _task_definition
    ),
}
