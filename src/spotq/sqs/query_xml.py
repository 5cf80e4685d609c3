"""The query protocol's XML replies, written by code generated from the model once per process.

Every query reply is serialised from a JSON-shaped result. Walking the model for each reply (the
member list, each member's kind, wire name and flattening looked up at every level) cost more
than the XML itself, so here one Python function per output structure shape is generated instead:
straight-line code with each member's tags and kind fixed in it, in the model's member order (the
order the walk wrote). The source is built from the model's member and wire names only (quoted
with repr), never from a request.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

# Writes a result's members (not the wrapper element) to `out`.
Writer = Callable[[dict[str, Any], list[str]], None]

# Characters XML 1.0 cannot carry at all; they only reach here inside echoed error text.
_XML_INVALID_RE = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"})


def text(value: str) -> str:
    """`value` as XML character data: characters XML cannot carry become U+FFFD, and `&`, `<`,
    `>` and CR are escaped."""
    if value.isprintable():
        # No control character (CR included), surrogate or non-character: only &, <, > remain.
        if "&" in value or "<" in value or ">" in value:
            return value.translate(_XML_ESCAPES)
        return value
    if _XML_INVALID_RE.search(value):
        value = _XML_INVALID_RE.sub("\ufffd", value)
    return value.translate(_XML_ESCAPES)


def _blob(value: Any) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return base64.b64encode(raw).decode("ascii")


def wire_name(shape: Any, member_name: str) -> str:
    """The query name of a structure member (botocore's rule for flattened lists included)."""
    if shape.type_name == "list" and shape.serialization.get("flattened"):
        element_name = shape.member.serialization.get("name")
        if element_name is not None:
            return str(element_name)
    return str(shape.serialization.get("name", member_name))


def build_writers(shapes: list[Any]) -> list[Writer]:
    """A member writer for each of `shapes` (botocore structure shapes)."""
    gen = _Generator()
    names = [gen.structure(shape) for shape in shapes]
    namespace: dict[str, Any] = {"_text": text, "_blob": _blob}
    exec(compile("\n".join(gen.lines), "<spotq.sqs.query_xml>", "exec"), namespace)
    return [namespace[name] for name in names]


def _indent(lines: list[str]) -> list[str]:
    return [f"    {line}" for line in lines]


class _Generator:
    """Writes one `def _wN(v, out)` per structure shape reachable from the ones asked for."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.functions: dict[str, str] = {}

    def structure(self, shape: Any) -> str:
        name = self.functions.get(shape.name)
        if name is not None:
            return name
        name = self.functions[shape.name] = f"_w{len(self.functions)}"
        body: list[str] = []
        for member_name, member in shape.members.items():
            body += [f"x = v.get({member_name!r})", "if x is not None:"]
            body += _indent(self._value(member, wire_name(member, member_name), "x", 0))
        self.lines += [f"def {name}(v, out):", *_indent(body or ["pass"])]
        return name

    def _value(self, shape: Any, tag: str, var: str, depth: int) -> list[str]:
        """Statements that write `var` (not None) as element(s) named `tag`."""
        kind = shape.type_name
        open_tag, close_tag = f"<{tag}>", f"</{tag}>"
        if kind == "structure":
            function = self.structure(shape)
            return [
                f"out.append({open_tag!r})",
                f"{function}({var}, out)",
                f"out.append({close_tag!r})",
            ]
        if kind == "list":
            return self._list(shape, tag, var, depth)
        if kind == "map":
            return self._map(shape, tag, var, depth)
        if kind == "boolean":
            value = f"('true' if {var} else 'false')"
        elif kind == "blob":
            value = f"_blob({var})"
        else:
            value = f"_text({var} if type({var}) is str else str({var}))"
        return [f"out.append({open_tag!r} + {value} + {close_tag!r})"]

    def _list(self, shape: Any, tag: str, var: str, depth: int) -> list[str]:
        item = f"e{depth}"
        if shape.serialization.get("flattened"):
            return [
                f"for {item} in {var}:",
                *_indent(self._value(shape.member, tag, item, depth + 1)),
            ]
        element = str(shape.member.serialization.get("name", "member"))
        return [
            f"out.append({f'<{tag}>'!r})",
            f"for {item} in {var}:",
            *_indent(self._value(shape.member, element, item, depth + 1)),
            f"out.append({f'</{tag}>'!r})",
        ]

    def _map(self, shape: Any, tag: str, var: str, depth: int) -> list[str]:
        key_name = str(shape.key.serialization.get("name", "key"))
        value_name = str(shape.value.serialization.get("name", "value"))
        flattened = bool(shape.serialization.get("flattened"))
        entry = tag if flattened else "entry"
        key, item = f"k{depth}", f"e{depth}"
        key_open, key_close = f"<{entry}><{key_name}>", f"</{key_name}>"
        lines = [
            f"for {key}, {item} in {var}.items():",
            f"    out.append({key_open!r} + _text(str({key})) + {key_close!r})",
            *_indent(self._value(shape.value, value_name, item, depth + 1)),
            f"    out.append({f'</{entry}>'!r})",
        ]
        if flattened:
            return lines
        return [f"out.append({f'<{tag}>'!r})", *lines, f"out.append({f'</{tag}>'!r})"]
