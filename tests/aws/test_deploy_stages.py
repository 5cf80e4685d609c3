"""Two stages of one app deployed side by side on moto server: each has its own stack, queues,
log group, task family and service; destroying one leaves the other untouched."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from spotq.app import App, load_app
from spotq.aws.deploy import Deployer, PollSettings
from spotq.aws.session import AwsConfig, make_client
from spotq.aws.synth import SynthSettings, Target, synth
from spotq.cli import cli
from spotq.naming import log_group_name, queue_name, stack_name, task_family

from .test_deploy_moto import RecordingView


@pytest.fixture
def app_file(tmp_path: Path) -> tuple[Path, str]:
    name = f"stg-s{uuid.uuid4().hex[:9]}"  # queue names derive from it: unique per test
    path = tmp_path / "stage_app.py"
    path.write_text(
        textwrap.dedent(
            f"""
            import spotq
            app = spotq.App({name!r}, batch_size=2)
            """
        )
    )
    return path, name


def _deploy(moto: str, aws: AwsConfig, app_path: Path, stage: str) -> None:
    ec2 = make_client("ec2", aws)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    args = [
        "deploy", str(app_path), "--target", "fargate-spot", "--for-emulator",
        "--stage", stage, "--image", "img:1", "-p", f"VpcId={vpc}",
        "-p", f"SubnetIds={subnet}", "--yes", "--endpoint-url", moto,
    ]  # fmt: skip
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _deploy_stage(aws: AwsConfig, app: App, stage: str) -> None:
    ec2 = make_client("ec2", aws)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    template = synth(app, Target.FARGATE_SPOT, SynthSettings(stage=stage), for_emulator=True)
    cfn = make_client("cloudformation", aws)
    deployer = Deployer(cfn, RecordingView(), poll=PollSettings(interval_s=0.05, timeout_s=60))
    result = deployer.deploy(
        stack_name(app.name, stage),
        template,
        {"ContainerImage": "img:1", "VpcId": vpc, "SubnetIds": subnet},
    )
    assert result.status == "CREATE_COMPLETE"


def _queue_names(aws: AwsConfig, app: str) -> set[str]:
    urls = make_client("sqs", aws).list_queues(QueueNamePrefix=f"spotq-{app}").get("QueueUrls", [])
    return {url.rsplit("/", 1)[1] for url in urls}


def _log_groups(aws: AwsConfig, app: str) -> set[str]:
    logs = make_client("logs", aws)
    groups = logs.describe_log_groups(logGroupNamePrefix=f"/spotq/{app}/")["logGroups"]
    return {g["logGroupName"] for g in groups}


def _service_of(aws: AwsConfig, stack: str) -> tuple[str, str]:
    cfn = make_client("cloudformation", aws)
    resources = cfn.describe_stack_resources(StackName=stack)["StackResources"]
    by_id = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    return by_id["Cluster"], by_id["Service"]


def test_two_stages_live_side_by_side_and_destroying_one_spares_the_other(
    aws_env: AwsConfig, moto_server: str, app_file: tuple[Path, str]
) -> None:
    path, app = app_file
    # Both stages through the Deployer (fast polling); the CLI's --stage is covered below and
    # by the destroy here.
    for stage in ("default", "staging"):
        _deploy_stage(aws_env, load_app(str(path)), stage)

    prod_queues = {queue_name(app, "default", role) for role in ("", "high", "dlq")}
    staging_queues = {queue_name(app, "staging", role) for role in ("", "high", "dlq")}
    assert prod_queues == {f"spotq-{app}", f"spotq-{app}-high", f"spotq-{app}-dlq"}
    assert _queue_names(aws_env, app) == prod_queues | staging_queues
    prod_groups = {f"/spotq/{app}/worker", f"/spotq/{app}/scaler"}
    assert _log_groups(aws_env, app) == prod_groups | {
        f"/spotq/{app}/staging/worker",
        f"/spotq/{app}/staging/scaler",
    }
    ecs = make_client("ecs", aws_env)
    families = set(ecs.list_task_definition_families(familyPrefix=f"spotq-{app}")["families"])
    assert families == {task_family(app, "default"), task_family(app, "staging")}
    cfn = make_client("cloudformation", aws_env)
    cluster, service = _service_of(aws_env, stack_name(app, "default"))

    result = CliRunner().invoke(
        cli,
        ["destroy", str(path), "--stage", "staging", "--yes", "--endpoint-url", moto_server],
    )
    assert result.exit_code == 0, result.output
    assert f"{stack_name(app, 'staging')}: DELETE_COMPLETE" in result.output

    assert _queue_names(aws_env, app) == prod_queues
    assert _log_groups(aws_env, app) == prod_groups
    assert log_group_name(app, "default", "worker") in prod_groups
    described = ecs.describe_services(cluster=cluster, services=[service])["services"]
    assert [s["status"] for s in described] == ["ACTIVE"]
    prod = cfn.describe_stacks(StackName=stack_name(app, "default"))["Stacks"][0]
    assert prod["StackStatus"] == "CREATE_COMPLETE"
    assert _service_of(aws_env, stack_name(app, "default")) == (cluster, service)


def test_a_stack_of_another_app_or_stage_is_not_updated(
    aws_env: AwsConfig, moto_server: str, app_file: tuple[Path, str]
) -> None:
    """Derived stack names of two apps can meet (app `a-b` stage `c`, app `a` stage `b-c`): the
    deployed template's Metadata.spotq decides, and a mismatch is refused before any change set."""
    path, app = app_file
    _deploy(moto_server, aws_env, path, "blue")
    other = path.with_name("other_app.py")
    prefix, _, rest = app.partition("-")
    other.write_text(f"import spotq\napp = spotq.App({prefix!r}, batch_size=2)\n")
    args = [
        "deploy", str(other), "--target", "fargate-spot", "--for-emulator",
        "--stage", f"{rest}-blue", "--image", "img:1", "--yes", "--endpoint-url", moto_server,
    ]  # fmt: skip
    assert stack_name(prefix, f"{rest}-blue") == stack_name(app, "blue")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert f"belongs to spotq app={app}, stage=blue" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("stage", ["Prod", "-x", "x-", "a_b", "x" * 21, ""])
def test_bad_stage_names_are_refused(
    app_file: tuple[Path, str], tmp_path: Path, stage: str
) -> None:
    path, _ = app_file
    out = tmp_path / "t.json"
    args = ["synth", str(path), "--target", "fargate-spot", "--stage", stage, "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert f"stage {stage!r}: use 1-20 lowercase letters" in result.output
    assert not out.exists()
