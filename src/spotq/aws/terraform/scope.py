"""What a CloudFormation name means in the module: parameters become variables, conditions
locals, resources Terraform addresses, pseudo parameters data sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spotq.aws.terraform.errors import TerraformExportError
from spotq.aws.terraform.names import snake

# A GetAtt attribute: the Terraform attribute, or (attribute, literal suffix) where the CFN value
# differs from Terraform's by a fixed tail (a log group's CFN ARN ends in ":*", Terraform's not).
Attr = str | tuple[str, str]

PSEUDO = {
    "AWS::Region": ("region", "data.aws_region.current.name"),
    "AWS::AccountId": ("caller", "data.aws_caller_identity.current.account_id"),
    "AWS::Partition": ("partition", "data.aws_partition.current.partition"),
    "AWS::URLSuffix": ("partition", "data.aws_partition.current.dns_suffix"),
    # A stack's name is what makes its generated names unique; here that is var.name_prefix.
    "AWS::StackName": ("", "var.name_prefix"),
}
SSM_PARAMETER_TYPE = "AWS::SSM::Parameter::Value<"


@dataclass(frozen=True)
class Target:
    """A CFN resource as Terraform sees it: its main address, what Ref and GetAtt give."""

    address: str
    ref: Attr
    attrs: dict[str, Attr]
    conditional: bool
    ref_address: str = ""  # where Ref reads, when not the main resource


@dataclass
class Scope:
    parameters: dict[str, str]  # CFN parameter name → CFN type
    conditions: set[str]
    raw_resources: dict[str, Any] = field(default_factory=dict)  # the template's Resources
    targets: dict[str, Target] = field(default_factory=dict)
    data_sources: set[str] = field(default_factory=set)

    def label(self, logical: str) -> str:
        return snake(logical)

    def parameter(self, name: str) -> str:
        kind = self.parameters[name]
        if kind.startswith(SSM_PARAMETER_TYPE):
            # A public SSM parameter (an AMI id): Terraform reads it with a data source.
            return f"data.aws_ssm_parameter.{snake(name)}.insecure_value"
        return f"var.{snake(name)}"

    def ref(self, name: str) -> str:
        if name in PSEUDO:
            source, expression = PSEUDO[name]
            if source:
                self.data_sources.add(source)
            return expression
        if name in self.parameters:
            return self.parameter(name)
        target = self._target(name, "Ref")
        if target.ref_address:
            target = Target(target.ref_address, target.ref, {}, target.conditional)
        return self._read(target, target.ref)

    def get_att(self, name: str, attribute: str) -> str:
        target = self._target(name, f"Fn::GetAtt {attribute}")
        if attribute not in target.attrs:
            raise TerraformExportError(
                f"Fn::GetAtt {name}.{attribute}: no Terraform attribute mapped for "
                f"{target.address.split('.')[0]} (add it to its mapping)"
            )
        return self._read(target, target.attrs[attribute])

    def attribute(self, name: str, tf_attribute: str) -> str:
        """A Terraform attribute of a resource the template names (where Terraform wants a
        different one than CloudFormation's Ref gives, e.g. an ARN instead of a name)."""
        return self._read(self._target(name, tf_attribute), tf_attribute)

    def condition(self, name: str) -> str:
        if name not in self.conditions:
            raise TerraformExportError(f"condition {name!r} is not declared in the template")
        return f"local.{snake(name)}"

    def _target(self, name: str, why: str) -> Target:
        if name not in self.targets:
            raise TerraformExportError(f"{why}: {name!r} is neither a parameter nor a resource")
        return self.targets[name]

    @staticmethod
    def _read(target: Target, attr: Attr) -> str:
        attribute, suffix = (attr, "") if isinstance(attr, str) else attr
        # A resource behind a condition has count = 0 or 1; one() reads null when it is absent.
        base = (
            f"one({target.address}[*].{attribute})"
            if target.conditional
            else f"{target.address}.{attribute}"
        )
        return f'"${{{base}}}{suffix}"' if suffix else base
