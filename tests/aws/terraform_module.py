"""Read an exported Terraform module back with python-hcl2, in plain Python terms: literal strings
unquoted, expressions kept as their `${...}` text, blocks as lists of dicts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

FILES = ("versions.tf", "variables.tf", "main.tf", "outputs.tf")


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {_unquote(k): _plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return _unquote(value) if isinstance(value, str) else value


def _unquote(text: str) -> Any:
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return json.loads(text)
    return text


@dataclass
class Module:
    files: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, directory: Path) -> Module:
        return cls({name: _plain(hcl2.loads((directory / name).read_text())) for name in FILES})

    def resources(self) -> dict[tuple[str, str], dict[str, Any]]:
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for entry in self.files["main.tf"].get("resource", []):
            for tf_type, named in entry.items():
                for label, body in named.items():
                    out[(tf_type, label)] = body
        return out

    def named(self, kind: str) -> dict[str, dict[str, Any]]:
        return {
            name: body
            for entry in self.files[_FILE[kind]].get(kind, [])
            for name, body in entry.items()
        }


_FILE = {"variable": "variables.tf", "output": "outputs.tf"}


def actions(policy_text: str) -> set[str]:
    """The IAM actions a jsonencode'd policy document grants."""
    found: set[str] = set()
    for match in re.finditer(r'"Action" = (\[[^\]]*\]|"[^"]*")', policy_text):
        found.update(re.findall(r'"([^"]+)"', match.group(1)))
    return found


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    (only,) = body[name]
    return dict(only)


def exported_templates() -> dict[str, dict[str, Any]]:
    """Every template the Terraform tests export, by name: each worker target × scaling engine
    (the golden-file apps), the app-environment templates in a named stage, and both realtime
    targets (test_synth_realtime's apps)."""
    from dataclasses import replace

    from spotq.aws.synth import ScalingEngine, Target, synth
    from spotq.aws.synth.realtime import RealtimeSettings, RealtimeTarget, synth_realtime

    from .synth_apps import APPS, GOLDEN_SETTINGS
    from .test_synth_realtime import APPS as REALTIME_APPS

    out = {
        f"{t.value}-{e.value}": synth(APPS[t], t, replace(GOLDEN_SETTINGS, scaling_engine=e))
        for t in Target
        for e in ScalingEngine
    }
    from .test_synth_validation import ENV_APP, ENV_CASES

    for name, target, engine in ENV_CASES:  # every app-environment option, a named stage
        settings = replace(GOLDEN_SETTINGS, scaling_engine=engine, stage="staging")
        out[name] = synth(ENV_APP, target, settings)
    for target in RealtimeTarget:
        settings = RealtimeSettings(max_tasks=6)
        out[target.value] = synth_realtime(
            REALTIME_APPS[target], target, settings, "apps/speech.py"
        )
    return out
