"""checkov (the .venv-checkov that `make test` builds) over a directory of synthesized templates
or exported Terraform modules: the report of one framework, and the checks on its skips."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"


def checkov_report(directory: Path, framework: str) -> dict[str, Any]:
    """checkov's report for `framework` ("cloudformation", "terraform") over `directory`."""
    if not CHECKOV.exists():
        pytest.fail(
            f"checkov not found at {CHECKOV}: `make test` creates it "
            "(python3 -m venv .venv-checkov && .venv-checkov/bin/pip install checkov)"
        )
    done = subprocess.run(
        [str(CHECKOV), "-d", str(directory), "--framework", framework, "-o", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_SKIP_VERSION_CHECK": "1"},
    )
    report = json.loads(done.stdout)
    reports = report if isinstance(report, list) else [report]
    (ours,) = [r for r in reports if r["check_type"] == framework]
    return ours


def failed_checks(report: dict[str, Any]) -> list[str]:
    """One line per failed check: its id, the resource and the file."""
    return [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for c in report["results"]["failed_checks"]
    ]


def assert_skips_have_reasons(report: dict[str, Any]) -> None:
    """Every skipped check carries a written reason (the template's or module's own comment)."""
    for check in report["results"]["skipped_checks"]:
        reason = check.get("check_result", {}).get("suppress_comment", "")
        assert len(reason) > 40, f"{check['check_id']} on {check['resource']}: no written reason"
