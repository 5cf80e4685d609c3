"""The scaler function's zip: reproducible, only spotq's own scaling modules, and runnable as
Lambda runs it (the handler imported from the zip alone, plus boto3) against moto server."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from spotq.aws import assets
from spotq.aws.scaler import package
from spotq.aws.scaler.config import ENV_VAR
from spotq.aws.session import AwsConfig, make_client

from .scaler_env import make_env

_RUN_HANDLER = """
import json, sys
import spotq, spotq.scaling
assert spotq.__file__.startswith(sys.argv[1]), spotq.__file__
from spotq.aws.scaler.handler import handler

class Context:
    def get_remaining_time_in_millis(self):
        return 5000  # room for one tick only

print("RESULT " + json.dumps(handler({}, Context())))
"""


def test_zip_is_reproducible_and_holds_the_scaling_package() -> None:
    first, second = package.build(), package.build()
    assert first.data == second.data and first.key == second.key
    names = set(zipfile.ZipFile(io.BytesIO(first.data)).namelist())
    assert "spotq/scaling/spotq_default.py" in names
    assert "spotq/aws/scaler/handler.py" in names
    assert not any(n.startswith(("spotq/app", "spotq/sim/", "spotq/fleet/")) for n in names)
    assert "spotq/aws/scaler/package.py" not in names


def test_handler_runs_from_the_zip_alone(
    aws_env: AwsConfig, unique_name: str, tmp_path: Path
) -> None:
    env = make_env(aws_env, unique_name)
    env.send(2)
    bundle = tmp_path / "scaler.zip"
    bundle.write_bytes(package.build().data)
    # -S: no site, so spotq's editable install is not importable; only the zip and boto3 are.
    code = f"import sys; sys.path[:0] = [{str(bundle)!r}, {sysconfig.get_paths()['purelib']!r}]\n"
    done = subprocess.run(
        [sys.executable, "-S", "-c", code + _RUN_HANDLER, str(bundle)],
        env={**os.environ, ENV_VAR: env.cfg.to_json()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert result["ticks"] == 1
    assert result["last"]["desired"] == 2
    assert env.desired() == 2
    decision = json.loads(done.stdout.splitlines()[0])
    assert decision["event"] == "decision" and decision["DesiredTasks"] == 2


def test_upload_creates_a_private_bucket_once(aws_env: AwsConfig, unique_name: str) -> None:
    s3 = make_client("s3", aws_env)
    asset = package.build()
    first = assets.upload(s3, unique_name, "us-east-1", asset, create=True)
    assert first.uploaded and first.key == asset.key
    again = assets.upload(s3, unique_name, "us-east-1", asset, create=True)
    assert not again.uploaded
    block = s3.get_public_access_block(Bucket=unique_name)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    body = s3.get_object(Bucket=unique_name, Key=asset.key)["Body"].read()
    assert body == asset.data


def test_deploy_uploads_the_scaler_and_passes_its_location(
    aws_env: AwsConfig, moto_server: str, tmp_path: Path, unique_name: str
) -> None:
    from click.testing import CliRunner

    from spotq.cli import cli

    app_file = tmp_path / "app.py"
    app_file.write_text(f"import spotq\napp = spotq.App({unique_name!r})\n")
    args = ["deploy", str(app_file), "--target", "fargate-spot", "--stack", unique_name,
            "--image", "img:1", "-p", "VpcId=vpc-1", "-p", "SubnetIds=subnet-1", "--yes",
            "--endpoint-url", moto_server]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    asset = package.build()
    bucket = "spotq-assets-123456789012-us-east-1"  # moto's account
    # "uploaded", or "unchanged:" where another test on this moto server deployed it first
    assert f" s3://{bucket}/{asset.key}" in result.output
    assert "scaler code uploaded" in result.output or "scaler code unchanged" in result.output
    s3 = make_client("s3", aws_env)
    assert s3.head_object(Bucket=bucket, Key=asset.key)["ContentLength"] == len(asset.data)
    assert result.exit_code == 0, result.output  # moto creates the function and its schedule
    cfn = make_client("cloudformation", aws_env)
    stack = cfn.describe_stacks(StackName=unique_name)["Stacks"][0]
    params = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert (params["ScalerCodeBucket"], params["ScalerCodeKey"]) == (bucket, asset.key)
    # moto returns no outputs after a change set: find the function among the stack's resources
    resources = cfn.list_stack_resources(StackName=unique_name)["StackResourceSummaries"]
    name = next(
        r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == "ScalerFunction"
    )
    function = make_client("lambda", aws_env).get_function(FunctionName=name)["Configuration"]
    assert function["Handler"] == "spotq.aws.scaler.handler.handler"
    again = CliRunner().invoke(cli, args)
    assert f"scaler code unchanged: s3://{bucket}/{asset.key}" in again.output
