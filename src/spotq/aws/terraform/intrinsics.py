"""CloudFormation values (with intrinsic functions) → HCL values.

Ref → var./resource attribute, Fn::GetAtt → resource attribute, Fn::Sub → a template string,
Fn::Join/Select/Split/Base64 → join()/element()/split()/base64encode(), Fn::If → `c ? a : b`
(or, inside a list, an element present only when c holds), Fn::Equals/Not/And/Or → operators,
Condition → local. Anything else raises, naming the function."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from spotq.aws.terraform.errors import TerraformExportError
from spotq.aws.terraform.hcl import Optional, Raw, Value, expr, template_literal
from spotq.aws.terraform.scope import Scope

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
NO_VALUE = {"Ref": "AWS::NoValue"}


def is_intrinsic(node: Any) -> bool:
    if not isinstance(node, dict) or len(node) != 1:
        return False
    (key, value), *_ = node.items()
    # {"Condition": "Name"} inside Fn::And/Or; an IAM statement's Condition is never alone.
    return key in _FUNCTIONS or key == "Ref" or (key == "Condition" and isinstance(value, str))


def optional_item(node: Any) -> tuple[str, Any] | None:
    """(condition name, value) for `Fn::If [cond, value, AWS::NoValue]`, else None."""
    if isinstance(node, dict) and list(node) == ["Fn::If"]:
        cond, when_true, when_false = node["Fn::If"]
        if when_false == NO_VALUE:
            return str(cond), when_true
    return None


def convert(scope: Scope, node: Any) -> Value:
    """The HCL value for a CFN value: literals stay, intrinsics become Raw expressions."""
    if isinstance(node, list):
        return [_element(scope, item) for item in node]
    if is_intrinsic(node):
        return Raw(_intrinsic(scope, node))
    if isinstance(node, dict):
        return {key: convert(scope, value) for key, value in node.items()}
    if node is None or isinstance(node, str | int | float | bool):
        return node
    raise TerraformExportError(f"unexpected value {node!r} in the template")


def hcl(scope: Scope, node: Any) -> str:
    """The HCL expression text for a CFN value."""
    return expr(convert(scope, node))


def _element(scope: Scope, node: Any) -> Value:
    optional = optional_item(node)
    if optional is None:
        return convert(scope, node)
    cond, value = optional
    return Optional(scope.condition(cond), convert(scope, value))


def _intrinsic(scope: Scope, node: dict[str, Any]) -> str:
    (name, arg), *_ = node.items()
    if name == "Ref":
        if arg == "AWS::NoValue":
            return "null"
        return scope.ref(str(arg))
    if name == "Condition":
        return scope.condition(str(arg))
    return _FUNCTIONS[name](scope, arg)


def _get_att(scope: Scope, arg: Any) -> str:
    logical, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
    if not isinstance(attribute, str):
        raise TerraformExportError(f"Fn::GetAtt {logical}: a computed attribute name")
    return scope.get_att(logical, attribute)


def _sub(scope: Scope, arg: Any) -> str:
    text, variables = (arg, {}) if isinstance(arg, str) else arg
    whole = _SUB_VAR.fullmatch(text)
    if whole and not whole.group(1).startswith("!"):
        return _sub_variable(scope, whole.group(1), variables)
    out, last = ['"'], 0
    for match in _SUB_VAR.finditer(text):
        out.append(template_literal(text[last : match.start()]))
        name = match.group(1)
        if name.startswith("!"):  # ${!Literal} is the literal text ${Literal}
            out.append(template_literal("${" + name[1:] + "}"))
        else:
            out.append("${" + _sub_variable(scope, name, variables) + "}")
        last = match.end()
    out.append(template_literal(text[last:]) + '"')
    return "".join(out)


def _sub_variable(scope: Scope, name: str, variables: dict[str, Any]) -> str:
    if name in variables:
        return hcl(scope, variables[name])
    if "." in name and not name.startswith("AWS::"):
        logical, attribute = name.split(".", 1)
        return scope.get_att(logical, attribute)
    return scope.ref(name)


def _if(scope: Scope, arg: Any) -> str:
    cond, when_true, when_false = arg
    return f"({scope.condition(cond)} ? {hcl(scope, when_true)} : {hcl(scope, when_false)})"


def _join(scope: Scope, arg: Any) -> str:
    separator, items = arg
    return f"join({hcl(scope, separator)}, {hcl(scope, items)})"


def _select(scope: Scope, arg: Any) -> str:
    index, items = arg
    return f"element({hcl(scope, items)}, {hcl(scope, index)})"


def _split(scope: Scope, arg: Any) -> str:
    separator, text = arg
    return f"split({hcl(scope, separator)}, {hcl(scope, text)})"


def _operator(symbol: str) -> Callable[[Scope, Any], str]:
    def join_with(scope: Scope, arg: Any) -> str:
        return "(" + f" {symbol} ".join(hcl(scope, item) for item in arg) + ")"

    return join_with


_FUNCTIONS: dict[str, Callable[[Scope, Any], str]] = {
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::If": _if,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::Base64": lambda scope, arg: f"base64encode({hcl(scope, arg)})",
    "Fn::Not": lambda scope, arg: f"!{hcl(scope, arg[0])}",
    "Fn::Equals": _operator("=="),
    "Fn::And": _operator("&&"),
    "Fn::Or": _operator("||"),
}


def check_supported(node: Any, where: str) -> None:
    """Fail on an intrinsic function the translator does not know (Fn::FindInMap, Fn::Cidr,
    Fn::ImportValue, Fn::GetAZs, ...), naming where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("Fn::") and key not in _FUNCTIONS:
                raise TerraformExportError(f"{where}: no Terraform mapping for {key}")
            check_supported(value, where)
    elif isinstance(node, list):
        for item in node:
            check_supported(item, where)
