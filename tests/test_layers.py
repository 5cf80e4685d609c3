"""The layers stay one-way: planning never imports the simulator, storage never imports the AWS
package, and no package imports the CLI (only the CLI modules themselves do)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "spotq"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("plan", "spotq.sim"), ("storage", "spotq.aws"), ("scaling", "spotq.sim"),
     ("scaling", "spotq.aws"), ("scaling", "spotq.plan")],
)  # fmt: skip
def test_package_does_not_import(package: str, forbidden: str) -> None:
    offenders = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in sorted((SRC / package).rglob("*.py"))
        for name in _imports(path)
        if name == forbidden or name.startswith(forbidden + ".")
    ]
    assert offenders == []


def test_only_cli_modules_import_the_cli() -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "cli.py" and "spotq.cli" in _imports(path)
    ]
    assert offenders == []
