"""CloudFormation Parameters → Terraform variables: type, default, description, and the
parameter's constraints (AllowedValues, Min/MaxValue, Min/MaxLength, AllowedPattern, AWS-specific
id types) as validation blocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spotq.aws.terraform.errors import TerraformExportError
from spotq.aws.terraform.hcl import Block, Raw, expr, quote
from spotq.aws.terraform.names import snake
from spotq.aws.terraform.scope import SSM_PARAMETER_TYPE

# AWS-specific parameter types: CloudFormation checks the id exists; Terraform checks its shape.
_ID_PREFIXES = {
    "AWS::EC2::VPC::Id": "vpc-",
    "AWS::EC2::Subnet::Id": "subnet-",
    "AWS::EC2::SecurityGroup::Id": "sg-",
    "AWS::EC2::Image::Id": "ami-",
}
_KNOWN_KEYS = frozenset(
    {"Type", "Default", "Description", "AllowedValues", "AllowedPattern", "MinValue",
     "MaxValue", "MinLength", "MaxLength", "ConstraintDescription", "NoEcho"}
)  # fmt: skip


def variable(name: str, spec: dict[str, Any]) -> Block:
    unknown = set(spec) - _KNOWN_KEYS
    if unknown:
        raise TerraformExportError(f"Parameters.{name}: no Terraform mapping for {sorted(unknown)}")
    kind = str(spec["Type"])
    is_list, element = _shape(name, kind)
    block = Block("variable", [snake(name)])
    block.set("type", Raw("list(string)" if is_list else element))
    description = str(spec.get("Description", ""))
    if kind.startswith(SSM_PARAMETER_TYPE):
        description += " (the SSM parameter's name; Terraform reads its value)"
    block.set("description", description or None)
    if "Default" in spec:
        block.set("default", _default(spec["Default"], is_list, element))
    if spec.get("NoEcho"):
        block.set("sensitive", True)
    for condition, message in _checks(name, spec, kind, element):
        check = Raw(f"alltrue([for v in var.{snake(name)} : {condition('v')}])" if is_list
                    else condition(f"var.{snake(name)}"))  # fmt: skip
        validation = block.add(Block("validation"))
        validation.set("condition", check)
        validation.set("error_message", spec.get("ConstraintDescription") or f"{name}: {message}.")
    return block


def _shape(name: str, kind: str) -> tuple[bool, str]:
    """(is a list, the element's Terraform type)."""
    if kind == "Number":
        return False, "number"
    if kind in ("String", *_ID_PREFIXES) or kind.startswith(SSM_PARAMETER_TYPE):
        return False, "string"
    if kind == "CommaDelimitedList" or (kind.startswith("List<") and kind[5:-1] in _ID_PREFIXES):
        return True, "string"
    raise TerraformExportError(f"Parameters.{name}: no Terraform mapping for type {kind}")


def _default(value: Any, is_list: bool, element: str) -> Any:
    if is_list:
        items = value if isinstance(value, list) else str(value).split(",")
        return [str(item).strip() for item in items if str(item).strip()]
    if element == "number":
        number = float(value)
        return int(number) if number.is_integer() else number
    return str(value)


Check = tuple[Callable[[str], str], str]


def _checks(name: str, spec: dict[str, Any], kind: str, element: str) -> list[Check]:
    checks: list[Check] = []
    if "AllowedValues" in spec:
        allowed = [_default(v, False, element) for v in spec["AllowedValues"]]
        listed = expr(allowed)
        checks.append((lambda v: f"contains({listed}, {v})", f"one of {allowed}"))
    if "MinValue" in spec:
        low = spec["MinValue"]
        checks.append((lambda v: f"{v} >= {low}", f"at least {low}"))
    if "MaxValue" in spec:
        high = spec["MaxValue"]
        checks.append((lambda v: f"{v} <= {high}", f"at most {high}"))
    if "MinLength" in spec:
        shortest = spec["MinLength"]
        checks.append((lambda v: f"length({v}) >= {shortest}", f"at least {shortest} characters"))
    if "MaxLength" in spec:
        longest = spec["MaxLength"]
        checks.append((lambda v: f"length({v}) <= {longest}", f"at most {longest} characters"))
    if "AllowedPattern" in spec:
        pattern = quote(f"^(?:{spec['AllowedPattern']})$")
        checks.append((lambda v: f"can(regex({pattern}, {v}))", "must match its pattern"))
    prefix = _ID_PREFIXES.get(kind[5:-1] if kind.startswith("List<") else kind)
    if prefix:
        checks.append((lambda v: f'startswith({v}, "{prefix}")', f"expected {prefix}… ids"))
    return checks
