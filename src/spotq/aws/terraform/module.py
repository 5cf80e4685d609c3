"""Assemble the Terraform module (versions.tf, variables.tf, main.tf, outputs.tf) from a
synthesized CloudFormation template."""

from __future__ import annotations

from typing import Any

from spotq.aws.terraform.checkov import terraform_only_skips
from spotq.aws.terraform.errors import TerraformExportError
from spotq.aws.terraform.hcl import Block, Raw, render_file
from spotq.aws.terraform.intrinsics import check_supported, convert, hcl
from spotq.aws.terraform.names import snake
from spotq.aws.terraform.registry import MAPPINGS
from spotq.aws.terraform.resource import Props, Resource
from spotq.aws.terraform.scope import SSM_PARAMETER_TYPE, Scope, Target
from spotq.aws.terraform.variables import variable

# The provider major version the mappings were written against (attribute names differ across
# majors, e.g. data.aws_region's `region`, new in 6.0).
AWS_PROVIDER = ">= 5.100, < 7.0"
TERRAFORM = ">= 1.5"
_TOP_LEVEL = {
    "AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Conditions",
    "Resources", "Outputs",
}  # fmt: skip
_RESOURCE_KEYS = {
    "Type", "Properties", "Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy",
    "Metadata",
}  # fmt: skip
_DATA_SOURCES = {
    "region": Block("data", ["aws_region", "current"]),
    "caller": Block("data", ["aws_caller_identity", "current"]),
    "partition": Block("data", ["aws_partition", "current"]),
}


def export(template: dict[str, Any]) -> dict[str, str]:
    """File name → HCL text of the module equivalent to `template`."""
    unknown = set(template) - _TOP_LEVEL
    if unknown:
        raise TerraformExportError(
            f"no Terraform mapping for template section(s) {sorted(unknown)}"
        )
    check_supported(template, "template")
    parameters: dict[str, Any] = template.get("Parameters", {})
    resources: dict[str, Any] = template["Resources"]
    scope = Scope(
        parameters={name: str(spec["Type"]) for name, spec in parameters.items()},
        conditions=set(template.get("Conditions", {})),
        raw_resources=resources,
    )
    for logical, resource in resources.items():
        mapping = _mapping(logical, resource)
        label = snake(logical)
        scope.targets[logical] = Target(
            f"{mapping.tf_type}.{label}", mapping.ref, mapping.attrs,
            "Condition" in resource, mapping.ref_address(label, resource),
        )  # fmt: skip
    main = _locals(scope, template.get("Conditions", {}))
    for logical in sorted(resources):
        main.extend(_resource(scope, logical, resources[logical]))
    header = _header(template)
    data = [_DATA_SOURCES[name] for name in sorted(scope.data_sources)]
    data.extend(_ssm_parameters(parameters))
    return {
        "versions.tf": render_file([_versions()], header),
        "variables.tf": render_file(_variables(template, parameters), header),
        "main.tf": render_file(data + main, header),
        "outputs.tf": render_file(_outputs(scope, template.get("Outputs", {})), header),
    }


def _mapping(logical: str, resource: dict[str, Any]) -> Any:
    kind = resource.get("Type", "")
    if kind not in MAPPINGS:
        raise TerraformExportError(f"resource {logical}: no Terraform mapping for type {kind}")
    unknown = set(resource) - _RESOURCE_KEYS
    if unknown:
        raise TerraformExportError(
            f"resource {logical}: no Terraform mapping for {sorted(unknown)}"
        )
    return MAPPINGS[kind]


def _resource(scope: Scope, logical: str, resource: dict[str, Any]) -> list[Block]:
    kind = resource["Type"]
    props = Props(scope, f"{kind} {logical}.Properties", resource.get("Properties", {}))
    condition = resource.get("Condition")
    r = Resource(
        logical, kind, snake(logical), props, scope, "var.name_prefix",
        count=f"{scope.condition(condition)} ? 1 : 0" if condition else None,
    )  # fmt: skip
    depends = resource.get("DependsOn", [])
    for name in [depends] if isinstance(depends, str) else depends:
        r.depends_on.append(scope.targets[name].address)
    blocks = MAPPINGS[kind].build(r)
    main = blocks[0]
    main.comments.extend(_checkov_skips(logical, resource.get("Metadata", {})))
    for check, reason in terraform_only_skips(MAPPINGS[kind].tf_type, resource):
        main.comments.append(f"#checkov:skip={check}:{reason}")
    if r.depends_on:
        main.set("depends_on", [Raw(address) for address in sorted(set(r.depends_on))])
    lifecycle = Block("lifecycle")
    if resource.get("DeletionPolicy") == "Retain":
        # CFN keeps the resource when the stack goes; Terraform refuses to destroy it instead
        # (`terraform state rm` it first to keep it, as `spotq destroy` does).
        lifecycle.set("prevent_destroy", True)
    elif resource.get("DeletionPolicy") not in (None, "Delete"):
        raise TerraformExportError(
            f"resource {logical}: DeletionPolicy {resource['DeletionPolicy']}"
        )
    if r.ignore_changes:
        lifecycle.set("ignore_changes", [Raw(name) for name in r.ignore_changes])
    if lifecycle.body:
        main.add(lifecycle)
    return blocks


def _checkov_skips(logical: str, metadata: dict[str, Any]) -> list[str]:
    """The CFN resource's checkov skips as Terraform inline skips, with the same reasons."""
    unknown = set(metadata) - {"checkov", "cfn-lint"}
    if unknown:
        raise TerraformExportError(
            f"resource {logical}: no Terraform mapping for Metadata {sorted(unknown)}"
        )
    skips = metadata.get("checkov", {}).get("skip", [])
    return [f"#checkov:skip={skip['id']}:{_one_line(skip['comment'])}" for skip in skips]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _locals(scope: Scope, conditions: dict[str, Any]) -> list[Block]:
    if not conditions:
        return []
    block = Block("locals")
    for name in sorted(conditions):
        block.set(snake(name), Raw(hcl(scope, conditions[name])))
    return [block]


def _ssm_parameters(parameters: dict[str, Any]) -> list[Block]:
    blocks = []
    for name in sorted(parameters):
        if str(parameters[name]["Type"]).startswith(SSM_PARAMETER_TYPE):
            block = Block("data", ["aws_ssm_parameter", snake(name)])
            block.set("name", Raw(f"var.{snake(name)}"))
            blocks.append(block)
    return blocks


def _variables(template: dict[str, Any], parameters: dict[str, Any]) -> list[Block]:
    spotq = template.get("Metadata", {}).get("spotq", {})
    parts = ["spotq", spotq.get("app", "app")]
    if spotq.get("stage"):
        parts.append(str(spotq["stage"]))
    prefix = Block("variable", ["name_prefix"])
    prefix.set("type", Raw("string"))
    prefix.set(
        "description",
        "Prefix of the names Terraform requires and CloudFormation would have generated "
        "(cluster, service, table, function, alarms); unique per account and region",
    )
    prefix.set("default", "-".join(parts))
    return [prefix] + [variable(name, parameters[name]) for name in sorted(parameters)]


def _outputs(scope: Scope, outputs: dict[str, Any]) -> list[Block]:
    blocks = []
    for name in sorted(outputs):
        spec = dict(outputs[name])
        block = Block("output", [snake(name)])
        block.set("description", spec.pop("Description", None))
        value = convert(scope, spec.pop("Value"))
        if "Condition" in spec:
            condition = scope.condition(spec.pop("Condition"))
            value = Raw(f"{condition} ? {hcl(scope, outputs[name]['Value'])} : null")
        if spec:
            raise TerraformExportError(f"Outputs.{name}: no Terraform mapping for {sorted(spec)}")
        block.set("value", value)
        blocks.append(block)
    return blocks


def _versions() -> Block:
    terraform = Block("terraform")
    terraform.set("required_version", TERRAFORM)
    providers = terraform.add(Block("required_providers"))
    providers.set("aws", {"source": "hashicorp/aws", "version": AWS_PROVIDER})
    return terraform


def _header(template: dict[str, Any]) -> str:
    spotq = template.get("Metadata", {}).get("spotq", {})
    what = f"app {spotq.get('app', '?')} on {spotq.get('target', '?')}"
    return (
        f"Generated by `spotq synth --format terraform` ({what}) from the same template "
        "`spotq synth` writes for CloudFormation; regenerate rather than edit."
    )
