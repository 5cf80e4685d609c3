"""The inputs of `spotq run`: each a file, named in the output directory by its basename only."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spotq.errors import ConfigError


@dataclass(frozen=True)
class RunInput:
    path: Path
    name: str  # the basename; the result goes to OUT/<name>.json

    @property
    def out_name(self) -> str:
        return f"{self.name}.json"

    def json_input(self) -> dict[str, Any]:
        """The file's content as a job input object (for --input-json)."""
        try:
            value = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"input {str(self.path)!r}: not a JSON file: {exc}") from None
        if not isinstance(value, dict):
            raise ConfigError(f"input {str(self.path)!r}: expected a JSON object")
        return value


def plan_inputs(paths: Sequence[str | Path]) -> list[RunInput]:
    """One RunInput per path; refuse missing files and two inputs with the same basename."""
    if not paths:
        raise ConfigError("INPUT: give at least one input file")
    by_name: dict[str, Path] = {}
    planned = []
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            raise ConfigError(f"INPUT {str(raw)!r}: no such file")
        name = path.name  # only the basename: never a path built from what was given
        if name in by_name:
            raise ConfigError(
                f"INPUT: {str(by_name[name])!r} and {str(path)!r} would both write "
                f"{name}.json; rename one or run them separately"
            )
        by_name[name] = path
        planned.append(RunInput(path, name))
    return planned
