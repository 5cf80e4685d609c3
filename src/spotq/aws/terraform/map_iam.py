"""IAM roles and instance profiles. A CFN role carries its inline policies and managed policy
ARNs; Terraform's way is a resource per inline policy (aws_iam_role_policy) and per attachment
(aws_iam_role_policy_attachment), so that nothing outside the module's state is overwritten."""

from __future__ import annotations

from spotq.aws.terraform.errors import TerraformExportError
from spotq.aws.terraform.hcl import Block, Raw
from spotq.aws.terraform.intrinsics import convert, optional_item
from spotq.aws.terraform.map_storage import jsonencode
from spotq.aws.terraform.names import snake
from spotq.aws.terraform.resource import Mapping, Resource, tags


def _role(r: Resource) -> list[Block]:
    block, p = r.block("aws_iam_role"), r.props
    p.attrs(
        block,
        {
            "RoleName": "name",
            "Path": "path",
            "Description": "description",
            "MaxSessionDuration": "max_session_duration",
            "PermissionsBoundary": "permissions_boundary",
        },
    )
    block.set("assume_role_policy", jsonencode(p, "AssumeRolePolicyDocument"))
    block.set("tags", tags(p))
    role = Raw(f"{r.address('aws_iam_role')}.name")
    blocks = [block]
    for condition, policy in p.items("Policies"):
        name = policy.raw("PolicyName")
        if condition is not None or not isinstance(name, str):
            raise TerraformExportError(
                f"{policy.where}: expected a plain policy with a literal name"
            )
        inline = r.block("aws_iam_role_policy", f"_{snake(name)}")
        inline.set("name", name)
        inline.set("role", role)
        inline.set("policy", jsonencode(policy, "PolicyDocument"))
        policy.done()
        blocks.append(inline)
    blocks += _attachments(r, role)
    p.done()
    return blocks


def _attachments(r: Resource, role: Raw) -> list[Block]:
    """One aws_iam_role_policy_attachment per managed policy ARN (`count` when conditional)."""
    blocks = []
    arns = r.props.raw("ManagedPolicyArns") or []
    if not isinstance(arns, list):  # e.g. a whole list chosen by Fn::If: no attachment shape
        where = f"{r.props.where}.ManagedPolicyArns"
        raise TerraformExportError(f"{where}: expected a list (conditional items as Fn::If)")
    for index, arn in enumerate(arns):
        attachment = r.block("aws_iam_role_policy_attachment", f"_managed_{index}")
        optional = optional_item(arn)
        if optional is not None:
            if r.count is not None:
                where = f"{r.props.where}.ManagedPolicyArns[{index}]"
                raise TerraformExportError(f"{where}: a condition inside a conditional role")
            attachment.body.insert(0, ("count", Raw(f"{r.scope.condition(optional[0])} ? 1 : 0")))
            arn = optional[1]
        attachment.set("role", role)
        attachment.set("policy_arn", convert(r.scope, arn))
        blocks.append(attachment)
    return blocks


def _instance_profile(r: Resource) -> list[Block]:
    block, p = r.block("aws_iam_instance_profile"), r.props
    p.attrs(block, {"InstanceProfileName": "name", "Path": "path"})
    roles = p.value("Roles")
    if not isinstance(roles, list) or len(roles) != 1:
        raise TerraformExportError(f"{p.where}.Roles: expected exactly one role")
    block.set("role", roles[0])
    p.done()
    return [block]


MAPPINGS = {
    "AWS::IAM::Role": Mapping("aws_iam_role", "name", {"Arn": "arn", "RoleId": "unique_id"}, _role),
    "AWS::IAM::InstanceProfile": Mapping(
        "aws_iam_instance_profile", "name", {"Arn": "arn"}, _instance_profile
    ),
}
