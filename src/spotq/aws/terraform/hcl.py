"""A small HCL model and its renderer: values (literals, lists, objects, raw expressions) and
blocks (resource, variable, nested and dynamic blocks), written as Terraform's own style."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

_INDENT = "  "
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Raw:
    """An HCL expression written as is (a reference, a function call, a template)."""

    text: str


@dataclass(frozen=True)
class Optional:
    """A list element present only when `condition` (an HCL expression) holds: what a CFN
    `Fn::If [cond, value, AWS::NoValue]` inside a list becomes."""

    condition: str
    value: Any


@dataclass(frozen=True)
class Call:
    """`name(value)`, the value rendered at the caller's indentation (jsonencode(...))."""

    name: str
    value: Any


@dataclass
class Block:
    """`type "label" ... { attributes, nested blocks }`; `comments` go first inside the body."""

    type: str
    labels: Sequence[str] = ()
    body: list[tuple[str, Any] | Block] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    def set(self, name: str, value: Any) -> None:
        """An attribute; None (a CFN property left out) writes nothing."""
        if value is not None:
            self.body.append((name, value))

    def add(self, block: Block) -> Block:
        self.body.append(block)
        return block


Value: TypeAlias = Any  # str | int | float | bool | None | list | dict | Raw | Optional


def quote(text: str) -> str:
    """An HCL string literal: JSON escapes plus Terraform's `$${` and `%%{` template escapes."""
    escaped = json.dumps(text, ensure_ascii=False)
    return escaped.replace("${", "$${").replace("%{", "%%{")


def template_literal(text: str) -> str:
    """`quote` without the surrounding quotes, to splice literal text into a template."""
    return quote(text)[1:-1]


def expr(value: Value, depth: int = 0) -> str:
    """The HCL expression for a value."""
    if isinstance(value, Raw):
        # Intrinsics are rendered on their own, as if at the margin: shift their continuation
        # lines to where the value sits, as `terraform fmt` would (strings are quoted, never
        # heredocs, so no text changes).
        return value.text.replace("\n", "\n" + _INDENT * depth)
    if isinstance(value, Call):
        return f"{value.name}({expr(value.value, depth)})"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list):
        return _list(value, depth)
    if isinstance(value, dict):
        return _object(value, depth)
    if isinstance(value, Optional):
        raise TypeError("an Optional element outside a list")
    raise TypeError(f"no HCL for {type(value).__name__}")


def _list(items: list[Value], depth: int) -> str:
    if not any(isinstance(item, Optional) for item in items):
        return _plain_list(items, depth)
    # Conditional elements: concat() of the fixed runs and `cond ? [x] : []` for each optional.
    parts: list[str] = []
    run: list[Value] = []
    for item in items:
        if isinstance(item, Optional):
            if run:
                parts.append(_plain_list(run, depth + 1))
                run = []
            parts.append(f"{item.condition} ? [{expr(item.value, depth + 1)}] : []")
        else:
            run.append(item)
    if run:
        parts.append(_plain_list(run, depth + 1))
    pad = _INDENT * (depth + 1)
    return "concat(\n" + ",\n".join(pad + p for p in parts) + ",\n" + _INDENT * depth + ")"


def _plain_list(items: list[Value], depth: int) -> str:
    if not items:
        return "[]"
    rendered = [expr(item, depth + 1) for item in items]
    scalars = all(not isinstance(item, list | dict | Optional) for item in items)
    if scalars and all("\n" not in r for r in rendered) and sum(map(len, rendered)) < 80:
        return "[" + ", ".join(rendered) + "]"
    pad = _INDENT * (depth + 1)
    return "[\n" + "".join(f"{pad}{r},\n" for r in rendered) + _INDENT * depth + "]"


def _object(items: dict[str, Value], depth: int) -> str:
    if not items:
        return "{}"
    pad = _INDENT * (depth + 1)
    pairs = [(quote(key), expr(value, depth + 1)) for key, value in items.items()]
    return "{\n" + "".join(pad + line + "\n" for line in _aligned(pairs)) + _INDENT * depth + "}"


def _aligned(pairs: list[tuple[str, str]]) -> list[str]:
    """`key = value` lines with the `=` of each run of one-line values aligned, as
    `terraform fmt` writes them (a multi-line value stands alone)."""
    lines: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(key) for key, _ in run), default=0)
        lines.extend(f"{key.ljust(width)} = {value}" for key, value in run)
        run.clear()

    for key, value in pairs:
        if "\n" in value:  # a multi-line value stands alone, unaligned
            flush()
            lines.append(f"{key} = {value}")
        else:
            run.append((key, value))
    flush()
    return lines


def render_block(block: Block, depth: int = 0) -> str:
    pad = _INDENT * depth
    head = " ".join([block.type, *(quote(label) for label in block.labels)])
    out = [f"{pad}{head} {{\n"]
    out.extend(f"{pad}{_INDENT}{comment}\n" for comment in block.comments)
    pairs: list[tuple[str, str]] = []
    for item in block.body:
        if isinstance(item, Block):
            out.extend(f"{pad}{_INDENT}{line}\n" for line in _aligned(pairs))
            pairs = []
            out.append(render_block(item, depth + 1))
        else:
            name, value = item
            key = name if _IDENT.match(name) else quote(name)
            pairs.append((key, expr(value, depth + 1)))
    out.extend(f"{pad}{_INDENT}{line}\n" for line in _aligned(pairs))
    out.append(f"{pad}}}\n")
    return "".join(out)


def render_file(blocks: Sequence[Block], header: str) -> str:
    return f"# {header}\n\n" + "\n".join(render_block(block) for block in blocks)
