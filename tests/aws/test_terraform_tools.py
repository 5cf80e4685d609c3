"""The exported Terraform modules under checkov's Terraform framework (no failed check; every
skip carries a written reason), and under `terraform fmt -check` and `terraform validate` where
Terraform and the AWS provider can be had (see docs/aws.md, Terraform: not from the package
registries)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from spotq.aws.terraform import write_module

from .checkov_run import assert_skips_have_reasons, checkov_report, failed_checks
from .terraform_module import exported_templates

REPO = Path(__file__).resolve().parents[2]
VALIDATED = ("ec2-spot-spotq", "fargate-spot-aws-target-tracking", "realtime-gpu")


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every worker target × scaling engine and both realtime targets, a directory each."""
    root = tmp_path_factory.mktemp("terraform")
    for name, template in exported_templates().items():
        write_module(template, root / name)
    return root


def test_checkov_terraform_reports_no_failed_check(modules: Path) -> None:
    terraform = checkov_report(modules, "terraform")
    failed = failed_checks(terraform)
    assert failed == [], "\n".join(failed)
    summary = terraform["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] >= 30 * len(list(modules.iterdir()))  # every module read
    assert summary["passed"] > 100
    assert terraform["results"]["skipped_checks"], "expected the documented skips to be reported"
    assert_skips_have_reasons(terraform)


_NO_TERRAFORM = (
    "no terraform binary on PATH: no PyPI or npm package ships Terraform with the hashicorp/aws "
    "provider (docs/aws.md, Terraform)"
)


def test_terraform_fmt_leaves_the_modules_as_they_are(modules: Path) -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip(_NO_TERRAFORM)
    done = subprocess.run(
        [terraform, "fmt", "-recursive", "-check", "-diff", "-no-color", str(modules)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_terraform_validate(modules: Path, tmp_path: Path) -> None:
    """`terraform init -backend=false` + `terraform validate`, with the AWS provider from a local
    filesystem mirror (nothing is downloaded). Two modules hold every mapped resource type
    (the scaler and EC2 capacity; target tracking and Fargate; the ALB, listeners, secret and
    GPU hosts): each validate loads the provider's whole schema, about 10 s, so not all eight."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip(_NO_TERRAFORM)
    mirror = Path(os.environ.get("SPOTQ_TF_PLUGIN_MIRROR", "/opt/tf-plugins"))
    if not (mirror / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        pytest.skip(
            f"no hashicorp/aws provider in a filesystem mirror at {mirror} (set "
            "SPOTQ_TF_PLUGIN_MIRROR): `terraform init` would download it from "
            "registry.terraform.io, which this machine cannot reach"
        )
    config = tmp_path / "terraformrc"
    config.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n'
    )
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1"}
    for name in VALIDATED:
        module = modules / name
        env["TF_DATA_DIR"] = str(tmp_path / module.name)
        for command in (["init", "-backend=false", "-input=false"], ["validate"]):
            done = subprocess.run(
                [terraform, f"-chdir={module}", *command, "-no-color"],
                capture_output=True,
                text=True,
                timeout=300,
                env=env,
            )
            assert done.returncode == 0, f"{module.name}: terraform {command[0]}\n" + (
                done.stdout + done.stderr
            )
        assert "The configuration is valid" in done.stdout
