"""The synthesized templates, every target with each scaling engine (and each target in a named
stage): byte-for-byte golden files,
cfn-lint clean (no errors, no warnings) and checkov clean (no failed check; every skip carries a
written reason).

Regenerate the golden files after an intended change with:
    SPOTQ_UPDATE_GOLDEN=1 .venv/bin/pytest tests/aws/test_synth_validation.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from spotq.aws.synth import ScalingEngine, Target, render, synth

from .checkov_run import assert_skips_have_reasons, checkov_report, failed_checks
from .synth_apps import APPS, ENV_APP, GOLDEN_SETTINGS

GOLDEN_DIR = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parents[2]
CFN_LINT = Path(sys.executable).with_name("cfn-lint")


CASES = [(t, e) for t in Target for e in ScalingEngine]
# The app's environment options (synth_apps.ENV_APP: secrets, variables, extra statements, an
# existing queue, a model artifact) on both kinds of host and with both scaling engines.
ENV_CASES = [
    ("fargate-spot-app-env", Target.FARGATE_SPOT, ScalingEngine.SPOTQ),
    ("ec2-spot-app-env-aws-target-tracking", Target.EC2_SPOT, ScalingEngine.AWS_TARGET_TRACKING),
]


def _rendered_env(target: Target, engine: ScalingEngine) -> str:
    settings = replace(GOLDEN_SETTINGS, scaling_engine=engine)
    return render(synth(ENV_APP, target, settings), "json")


def _rendered(
    target: Target, fmt: str = "json", engine: ScalingEngine = ScalingEngine.SPOTQ
) -> str:
    settings = replace(GOLDEN_SETTINGS, scaling_engine=engine)
    return render(synth(APPS[target], target, settings), "json" if fmt == "json" else "yaml")


def _name(target: Target, engine: ScalingEngine) -> str:
    """fargate-spot.json for the default engine, fargate-spot-aws-target-tracking.json else."""
    return target.value if engine is ScalingEngine.SPOTQ else f"{target.value}-{engine.value}"


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every target × engine as JSON, plus the gpu one as YAML (the other output format)."""
    directory = tmp_path_factory.mktemp("templates")
    for target, engine in CASES:
        (directory / f"{_name(target, engine)}.json").write_text(_rendered(target, engine=engine))
    (directory / "gpu.yaml").write_text(_rendered(Target.GPU, "yaml"))
    for target in Target:  # a named stage changes names and tags, nothing a check reads
        staged = replace(GOLDEN_SETTINGS, stage="staging-2")
        text = render(synth(APPS[target], target, staged), "json")
        (directory / f"{target.value}-stage-staging-2.json").write_text(text)
    for name, target, engine in ENV_CASES:
        (directory / f"{name}.json").write_text(_rendered_env(target, engine))
    return directory


@pytest.mark.parametrize(("target", "engine"), CASES, ids=lambda c: c.value)
def test_template_matches_golden_file(target: Target, engine: ScalingEngine) -> None:
    golden = GOLDEN_DIR / f"{_name(target, engine)}.json"
    text = _rendered(target, engine=engine)
    if os.environ.get("SPOTQ_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert golden.exists(), f"{golden} missing: run with SPOTQ_UPDATE_GOLDEN=1 to create it"
    assert text == golden.read_text(), (
        f"{_name(target, engine)} template changed; if intended, regenerate with "
        "SPOTQ_UPDATE_GOLDEN=1 and review the diff"
    )


@pytest.mark.parametrize(("name", "target", "engine"), ENV_CASES, ids=lambda c: str(c))
def test_app_env_template_matches_golden_file(
    name: str, target: Target, engine: ScalingEngine
) -> None:
    golden = GOLDEN_DIR / f"{name}.json"
    text = _rendered_env(target, engine)
    if os.environ.get("SPOTQ_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert golden.exists(), f"{golden} missing: run with SPOTQ_UPDATE_GOLDEN=1 to create it"
    assert text == golden.read_text(), f"{name} template changed; regenerate and review"


def test_yaml_output_is_the_same_template() -> None:
    import yaml

    for target in Target:
        assert yaml.safe_load(_rendered(target, "yaml")) == json.loads(_rendered(target))


def test_cfn_lint_reports_nothing(template_dir: Path) -> None:
    assert CFN_LINT.exists(), f"cfn-lint not found at {CFN_LINT} (it is in the dev extra)"
    files = sorted(str(p) for p in template_dir.iterdir())
    done = subprocess.run(
        [str(CFN_LINT), "--format", "parseable", *files],
        capture_output=True,
        text=True,
        timeout=600,  # a safety net, not a speed check: nine templates on a busy 2-core machine
    )
    # Exit 0 means no error and no warning (informational findings are not enabled).
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""


def test_checkov_reports_no_failed_check(template_dir: Path) -> None:
    cfn = checkov_report(template_dir, "cloudformation")
    failed = failed_checks(cfn)
    assert failed == [], "\n".join(failed)
    assert cfn["summary"]["parsing_errors"] == 0
    assert cfn["summary"]["passed"] > 100  # the checks really ran over all four files
    assert cfn["results"]["skipped_checks"], "expected the documented skips to be reported"
    assert_skips_have_reasons(cfn)
