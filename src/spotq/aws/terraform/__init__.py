"""`spotq synth --format terraform`: the synthesized CloudFormation template as a Terraform
module (versions.tf, variables.tf, main.tf, outputs.tf).

It works from the template itself, through an explicit mapping per resource type
(`registry.MAPPINGS`): Parameters become variables (with their constraints as validations),
Conditions locals (and `count` on conditional resources), intrinsic functions Terraform
expressions, Outputs outputs. A type, property, attribute or function without a mapping raises
TerraformExportError naming it, so what the synthesis adds never goes missing silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spotq.aws.terraform.errors import TerraformExportError
from spotq.aws.terraform.module import AWS_PROVIDER, export

__all__ = ["AWS_PROVIDER", "TerraformExportError", "export", "write_module"]


def write_module(template: dict[str, Any], directory: Path) -> list[Path]:
    """Write the module's files into `directory` (created if missing); returns their paths."""
    files = export(template)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        path = directory / name
        path.write_text(text)
        paths.append(path)
    return paths
