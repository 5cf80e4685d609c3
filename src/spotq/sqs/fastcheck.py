"""Generated fast acceptance tests for operation inputs, one Python function per structure shape.

`model.check_input` runs on every request. Most inputs are well-formed, so it first asks the
predicate generated here (straight-line code: exact-type tests on the members present, lists and
maps walked inline) and runs the model walk, which words the error, only when the predicate says
no. The predicate is stricter than the walk (exact types, no subclasses), never looser: a value
it refuses still passes if the walk accepts it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Predicate = Callable[[Any], bool]

# Per scalar kind, the exact types (JSON and query parsing produce exactly these).
_TYPES: dict[str, tuple[str, ...]] = {
    "string": ("str",),
    "integer": ("int",),
    "long": ("int",),
    "boolean": ("bool",),
    "blob": ("bytes",),
    "double": ("int", "float"),
    "float": ("int", "float"),
}


def build(model: dict[str, Any]) -> dict[str, Predicate]:
    """Per operation, a predicate that is True only for input the model walk accepts."""
    shapes: dict[str, Any] = model["shapes"]
    gen = _Generator(shapes)
    roots = {
        name: op["input"]["shape"] for name, op in model["operations"].items() if "input" in op
    }
    for shape_name in roots.values():
        gen.structure(shape_name)
    namespace: dict[str, Any] = {}
    # The source is built from the botocore model only (shape and member names), never from input.
    exec(compile("\n".join(gen.lines), "<spotq.sqs.fastcheck>", "exec"), namespace)
    out: dict[str, Predicate] = {
        name: namespace[gen.function_name(shape_name)] for name, shape_name in roots.items()
    }
    for name in model["operations"]:
        out.setdefault(name, _is_dict)
    return out


def _is_dict(value: Any) -> bool:
    return type(value) is dict


class _Generator:
    """Writes one `def _ok_<Shape>(v)` per structure shape reachable from the inputs."""

    def __init__(self, shapes: dict[str, Any]) -> None:
        self.shapes = shapes
        self.lines: list[str] = []
        self.done: set[str] = set()

    @staticmethod
    def function_name(shape_name: str) -> str:
        return f"_ok_{shape_name}"

    def structure(self, shape_name: str) -> None:
        if shape_name in self.done:
            return
        self.done.add(shape_name)
        shape = self.shapes[shape_name]
        members: dict[str, Any] = shape.get("members", {})
        required = [name for name in shape.get("required", ()) if name in members]
        body = ["if type(v) is not dict:", "    return False"]
        for name in required:
            body += [f"x = v.get({name!r})", *self._value(members[name]["shape"], "x", 0)]
        body += [f"if len(v) == {len(required)}:", "    return True"]
        for name, member in members.items():
            if name not in required:
                checks = self._value(member["shape"], "x", 0)
                body += [f"x = v.get({name!r})", "if x is not None:"]
                body += [f"    {line}" for line in checks]
        body.append("return True")
        self.lines.append(f"def {self.function_name(shape_name)}(v):")
        self.lines += [f"    {line}" for line in body]

    def _value(self, shape_name: str, var: str, depth: int) -> list[str]:
        """Statements that `return False` unless `var` (not None) fits the shape."""
        shape = self.shapes[shape_name]
        kind = shape["type"]
        if kind in _TYPES:
            test = " and ".join(f"type({var}) is not {name}" for name in _TYPES[kind])
            return [f"if {test}:", "    return False"]
        if kind == "structure":
            self.structure(shape_name)
            return [f"if not {self.function_name(shape_name)}({var}):", "    return False"]
        item = f"e{depth}"
        if kind == "list":
            inner, head = shape["member"]["shape"], f"for {item} in {var}:"
            container = "list"
        else:  # map: the walk checks values only (keys of parsed input are strings)
            inner, head = shape["value"]["shape"], f"for {item} in {var}.values():"
            container = "dict"
        checks = self._value(inner, item, depth + 1)
        return [
            f"if type({var}) is not {container}:",
            "    return False",
            head,
            *(f"    {line}" for line in self._plain_lane(inner, item)),
            f"    if {item} is None:",
            "        return False",
            *(f"    {line}" for line in checks),
        ]

    def _plain_lane(self, shape_name: str, var: str) -> list[str]:
        """For a structure whose required members are all scalars: `continue` when `var` has
        exactly those, of the right types (the structure's own function would say True), so that
        a list of plain entries (batch requests) costs no call per entry."""
        shape = self.shapes[shape_name]
        if shape["type"] != "structure":
            return []
        members: dict[str, Any] = shape.get("members", {})
        required = [name for name in shape.get("required", ()) if name in members]
        kinds = [self.shapes[members[name]["shape"]]["type"] for name in required]
        if not required or any(kind not in _TYPES for kind in kinds):
            return []
        tests = [f"type({var}) is dict", f"len({var}) == {len(required)}"]
        for name, kind in zip(required, kinds, strict=True):
            member = f"type({var}.get({name!r}))"
            types = _TYPES[kind]
            alternatives = f"({', '.join(types)})"
            tests.append(
                f"{member} is {types[0]}" if len(types) == 1 else f"{member} in {alternatives}"
            )
        return [f"if {' and '.join(tests)}:", "    continue"]
