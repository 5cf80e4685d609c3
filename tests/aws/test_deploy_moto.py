"""`spotq deploy` / `spotq destroy` against moto server: change set listing, completion, the
progress display ending on the final status, and deletion; the emulator subset of the EC2
targets deploys too. Failure paths moto cannot produce are in test_deploy_failures.py."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from spotq.app import App
from spotq.aws.deploy import Change, DeployCancelledError, Deployer, PollSettings, StackEvent
from spotq.aws.session import AwsConfig, make_client
from spotq.aws.synth import Target, synth
from spotq.cli import cli


class RecordingView:
    """Keeps every call, in order, so a test can check what the user would have seen."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def changes(self, stack: str, changes: Any) -> None:
        self.calls.append(("changes", list(changes)))

    def start(self, stack: str, action: str, total: int) -> None:
        self.calls.append(("start", (action, total)))

    def event(self, event: StackEvent) -> None:
        self.calls.append(("event", event.status))

    def finish(self, stack: str, status: str, ok: bool) -> None:
        self.calls.append(("finish", (status, ok)))


def _queue_template(prefix: str, *names: str) -> dict[str, Any]:
    """Queues named `<prefix>-<name>` (unique per test: the moto server is shared)."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            name: {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"{prefix}-{name}"}}
            for name in names
        },
    }


@pytest.fixture
def app_file(tmp_path: Path) -> Path:
    path = tmp_path / "deploy_app.py"
    name = f"dep-{uuid.uuid4().hex[:10]}"  # queue names derive from it: unique per test
    path.write_text(
        textwrap.dedent(
            f"""
            import spotq
            app = spotq.App({name!r}, batch_size=2, visibility_timeout_s=45, max_receives=4)
            """
        )
    )
    return path


def _network(aws: AwsConfig) -> tuple[str, str]:
    ec2 = make_client("ec2", aws)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    return vpc, subnet


def _last_line(output: str) -> str:
    return [line for line in output.splitlines() if line.strip()][-1].strip()


def test_cli_deploys_and_destroys_the_synthesized_stack(
    aws_env: AwsConfig, moto_server: str, app_file: Path, unique_name: str
) -> None:
    vpc, subnet = _network(aws_env)
    runner = CliRunner()
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/workers/demo:7"
    args = [
        "deploy", str(app_file), "--target", "fargate-spot", "--for-emulator",
        "--stack", unique_name, "--image", image, "-p", f"VpcId={vpc}",
        "-p", f"SubnetIds={subnet}", "--yes", "--endpoint-url", moto_server,
    ]  # fmt: skip
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Change set for" in result.output
    for logical_id in ("JobQueue", "DeadLetterQueue", "BlobBucket", "JobTable", "Service"):
        assert logical_id in result.output
    assert _last_line(result.output) == f"{unique_name}: CREATE_COMPLETE"

    cfn = make_client("cloudformation", aws_env)
    stack = cfn.describe_stacks(StackName=unique_name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    params = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert params["ContainerImage"] == image
    subnets_before = params["SubnetIds"]  # moto shows a List value as a Python list
    assert params["ImageRepositoryArn"] == (
        "arn:aws:ecr:us-east-1:123456789012:repository/workers/demo"
    )
    sqs = make_client("sqs", aws_env)
    app_name = app_file.read_text().split("'")[1]
    queue_url = sqs.get_queue_url(QueueName=f"spotq-{app_name}")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "45"

    # An update passes only what changes; VpcId and the List parameter SubnetIds keep their
    # values (re-sent from the stack: moto cannot reuse a previous List value, AWS can).
    update = [*args[:7], "--image", f"{image}-2", "--yes", "--endpoint-url", moto_server]
    result = runner.invoke(cli, update, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _last_line(result.output) == f"{unique_name}: UPDATE_COMPLETE"
    stack = cfn.describe_stacks(StackName=unique_name)["Stacks"][0]
    params = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert (params["ContainerImage"], params["VpcId"]) == (f"{image}-2", vpc)
    assert params["SubnetIds"] == subnets_before
    assert subnet in subnets_before

    result = runner.invoke(
        cli, ["destroy", "--stack", unique_name, "--yes", "--endpoint-url", moto_server]
    )
    assert result.exit_code == 0, result.output
    assert _last_line(result.output) == f"{unique_name}: DELETE_COMPLETE"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=f"spotq-{app_name}")

    again = runner.invoke(
        cli, ["destroy", "--stack", unique_name, "--yes", "--endpoint-url", moto_server]
    )
    assert again.exit_code == 1
    assert f"stack '{unique_name}' does not exist" in again.output
    assert "Traceback" not in again.output


def test_deploy_refuses_unknown_and_missing_parameters(aws_env: AwsConfig, app_file: Path) -> None:
    runner = CliRunner()
    base = ["deploy", str(app_file), "--target", "ec2-spot", "--stack", "never-created", "--yes"]
    unknown = runner.invoke(cli, [*base, "--image", "img:1", "-p", "Nope=1"])
    assert unknown.exit_code == 1
    assert "'Nope': not a parameter of this template" in unknown.output
    missing = runner.invoke(cli, [*base, "--image", "img:1"])
    assert missing.exit_code == 1
    assert "parameters SubnetIds, VpcId: required to create 'never-created'" in missing.output
    malformed = runner.invoke(cli, [*base, "-p", "VpcId"])
    assert "expected KEY=VALUE" in malformed.output


def test_deployer_creates_then_updates_and_follows_to_the_end(
    aws_env: AwsConfig, unique_name: str
) -> None:
    cfn = make_client("cloudformation", aws_env)
    view = RecordingView()
    deployer = Deployer(cfn, view, poll=PollSettings(interval_s=0.05, timeout_s=30))

    created = deployer.deploy(unique_name, _queue_template(unique_name, "Alpha"), {})
    assert created.status == "CREATE_COMPLETE"
    assert created.changes == (Change("Add", "Alpha", "AWS::SQS::Queue", ""),)
    assert view.calls[0] == ("changes", list(created.changes))
    assert view.calls[1] == ("start", ("CREATE", 1))
    assert view.calls[-1] == ("finish", ("CREATE_COMPLETE", True))

    updated = deployer.deploy(unique_name, _queue_template(unique_name, "Alpha", "Beta"), {})
    assert updated.status == "UPDATE_COMPLETE"
    assert view.calls[-1] == ("finish", ("UPDATE_COMPLETE", True))
    sqs = make_client("sqs", aws_env)
    assert sqs.get_queue_url(QueueName=f"{unique_name}-Beta")["QueueUrl"]

    assert deployer.destroy(unique_name) == "DELETE_COMPLETE"
    assert view.calls[-1] == ("finish", ("DELETE_COMPLETE", True))


def test_declined_change_set_changes_nothing(aws_env: AwsConfig, unique_name: str) -> None:
    cfn = make_client("cloudformation", aws_env)
    view = RecordingView()
    deployer = Deployer(cfn, view, poll=PollSettings(interval_s=0.05, timeout_s=30))
    with pytest.raises(DeployCancelledError, match="nothing changed"):
        deployer.deploy(
            unique_name, _queue_template(unique_name, "Gamma"), {}, confirm=lambda: False
        )
    assert [name for name, _ in view.calls] == ["changes"]
    sqs = make_client("sqs", aws_env)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=f"{unique_name}-Gamma")


@pytest.mark.parametrize("answer", ["n\n", ""], ids=["no", "end-of-input"])
def test_cli_prompt_declined_removes_the_change_set(
    aws_env: AwsConfig, moto_server: str, app_file: Path, unique_name: str, answer: str
) -> None:
    vpc, subnet = _network(aws_env)
    args = [
        "deploy", str(app_file), "--target", "fargate-spot", "--for-emulator",
        "--stack", unique_name, "--image", "img:1", "-p", f"VpcId={vpc}",
        "-p", f"SubnetIds={subnet}", "--endpoint-url", moto_server,
    ]  # fmt: skip
    result = CliRunner().invoke(cli, args, input=answer)
    assert result.exit_code == 1, result.output
    assert "Apply these changes?" in result.output
    assert f"deployment of '{unique_name}' cancelled; nothing changed" in result.output
    cfn = make_client("cloudformation", aws_env)
    summaries = cfn.list_change_sets(StackName=unique_name)["Summaries"]
    # moto lists every stack's change sets; AWS only this stack's.
    assert [c for c in summaries if c["StackName"] == unique_name] == []


@pytest.mark.parametrize("target", [Target.EC2_SPOT, Target.GPU], ids=lambda t: t.value)
def test_emulator_subset_of_ec2_targets_deploys_on_moto(
    aws_env: AwsConfig, unique_name: str, target: Target
) -> None:
    app = App(unique_name[-30:], vcpu=4, memory_gib=13, gpus=int(target is Target.GPU))
    template = synth(app, target, for_emulator=True)
    vpc, subnet = _network(aws_env)
    view = RecordingView()
    cfn = make_client("cloudformation", aws_env)
    deployer = Deployer(cfn, view, poll=PollSettings(interval_s=0.05, timeout_s=30))
    result = deployer.deploy(
        unique_name, template, {"ContainerImage": "img:1", "VpcId": vpc, "SubnetIds": subnet}
    )
    assert result.status == "CREATE_COMPLETE"
    kinds = {s["ResourceType"] for s in cfn.list_stack_resources(StackName=unique_name)[
        "StackResourceSummaries"]}  # fmt: skip
    assert {"AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::LaunchTemplate"} <= kinds
    assert deployer.destroy(unique_name) == "DELETE_COMPLETE"
