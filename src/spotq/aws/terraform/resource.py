"""The per-resource toolkit the mappings use: properties taken one by one (what is left over is
an error naming it), resource blocks with the CFN resource's condition as `count`, tags."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from spotq.aws.terraform.errors import TerraformExportError
from spotq.aws.terraform.hcl import Block, Raw, Value
from spotq.aws.terraform.intrinsics import convert, hcl, is_intrinsic, optional_item
from spotq.aws.terraform.names import kebab
from spotq.aws.terraform.scope import Attr, Scope


class Props:
    """A CFN property object: each mapping takes what it maps; `done()` fails on the rest."""

    def __init__(self, scope: Scope, where: str, data: Any) -> None:
        if not isinstance(data, dict) or is_intrinsic(data):
            raise TerraformExportError(f"{where}: expected a plain object, got {data!r}")
        self.scope, self.where, self._data = scope, where, dict(data)

    def has(self, key: str) -> bool:
        return key in self._data

    def raw(self, key: str) -> Any:
        return self._data.pop(key, None)

    def value(self, key: str) -> Value:
        """The HCL value of a property (None when it is absent)."""
        return convert(self.scope, self.raw(key)) if key in self._data else None

    def expr(self, key: str) -> Raw | None:
        return Raw(hcl(self.scope, self.raw(key))) if key in self._data else None

    def nested(self, key: str) -> Props | None:
        return Props(self.scope, f"{self.where}.{key}", self.raw(key)) if self.has(key) else None

    def items(self, key: str) -> list[tuple[str | None, Props]]:
        """A list of objects: (HCL condition or None, the object's properties) per element."""
        node = self.raw(key) or []
        if not isinstance(node, list):
            raise TerraformExportError(f"{self.where}.{key}: expected a list, got {node!r}")
        out: list[tuple[str | None, Props]] = []
        for index, item in enumerate(node):
            where = f"{self.where}.{key}[{index}]"
            optional = optional_item(item)
            if optional is None:
                out.append((None, Props(self.scope, where, item)))
            else:
                condition = self.scope.condition(optional[0])
                out.append((condition, Props(self.scope, where, optional[1])))
        return out

    def attrs(self, block: Block, names: dict[str, str]) -> None:
        """Set block attributes from properties: {CFN name: Terraform name}."""
        for cfn_name, tf_name in names.items():
            block.set(tf_name, self.value(cfn_name))

    def done(self) -> None:
        if self._data:
            keys = ", ".join(sorted(self._data))
            raise TerraformExportError(f"{self.where}: no Terraform mapping for {keys}")


@dataclass
class Resource:
    """One CFN resource being mapped: the mapping builds blocks through it."""

    logical: str
    cfn_type: str
    label: str
    props: Props
    scope: Scope
    name_prefix: str
    count: str | None = None
    ignore_changes: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)

    def block(self, tf_type: str, suffix: str = "") -> Block:
        block = Block("resource", [tf_type, self.label + suffix])
        if self.count is not None:
            block.set("count", Raw(self.count))
        return block

    def address(self, tf_type: str, suffix: str = "") -> str:
        """How another block of this resource refers to the main one (count-aware)."""
        return f"{tf_type}.{self.label}{suffix}" + ("[0]" if self.count is not None else "")

    def generated_name(self) -> Raw:
        """A name where Terraform requires one and CloudFormation generates it."""
        return Raw(f'"${{{self.name_prefix}}}-{kebab(self.logical)}"')


def tags(props: Props, key: str = "Tags") -> Value:
    """CFN's [{Key, Value}] list → Terraform's tags map."""
    out: dict[str, Value] = {}
    for condition, tag in props.items(key):
        if condition is not None:
            raise TerraformExportError(f"{tag.where}: a conditional tag")
        name = tag.raw("Key")
        if not isinstance(name, str):
            raise TerraformExportError(f"{tag.where}.Key: a computed tag key")
        out[name] = tag.value("Value")
        tag.done()
    return out or None


def sub_blocks(
    parent: Block,
    name: str,
    items: list[tuple[str | None, Props]],
    fill: Callable[[Block, Props], None],
) -> None:
    """A nested block per element; an element behind a condition becomes a dynamic block."""
    for condition, props in items:
        if condition is None:
            fill(parent.add(Block(name)), props)
        else:
            dynamic = parent.add(Block("dynamic", [name]))
            dynamic.set("for_each", Raw(f"{condition} ? [1] : []"))
            fill(dynamic.add(Block("content")), props)
        props.done()


def one_block(parent: Block, name: str, props: Props | None, names: dict[str, str]) -> Block | None:
    """A nested block from a property object whose properties map one to one."""
    if props is None:
        return None
    block = parent.add(Block(name))
    props.attrs(block, names)
    props.done()
    return block


@dataclass(frozen=True)
class Mapping:
    """How one CloudFormation type becomes Terraform: the main resource type, what Ref and each
    GetAtt attribute read, and the builder (main block first, then any companions)."""

    tf_type: str
    ref: Attr
    attrs: dict[str, Attr]
    build: Callable[[Resource], list[Block]]
    # Where Ref reads from instead of the main resource, given the CFN resource: a companion
    # "type.label-suffix" whose attribute must be ready before anything uses the Ref.
    ref_from: Callable[[dict[str, Any]], str | None] | None = None

    def ref_address(self, label: str, resource: dict[str, Any]) -> str:
        companion = self.ref_from(resource) if self.ref_from else None
        return companion.replace("{label}", label) if companion else f"{self.tf_type}.{label}"
