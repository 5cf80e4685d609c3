"""`spotq status --stack` against moto server: a synthesized stack (the emulator subset of
ec2-spot) with messages in its queues, a worker error and scaler decisions in its log groups, an
alarm in ALARM on its dead-letter queue, a host in its Auto Scaling group and a spot interruption
in the workers' metric; then the CLI's screen and JSON must show them. What moto cannot produce
(ECS service events, stopped Spot tasks, the stack's own alarms through CloudFormation) is
covered in test_stack_status_units.py."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, fields
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from spotq.app import App
from spotq.aws.session import AwsConfig, make_client
from spotq.aws.synth import Target, synth
from spotq.cli import cli


@dataclass(frozen=True)
class Stack:
    name: str
    app: str
    outputs: dict[str, str]


@dataclass(frozen=True)
class Aws:
    """One client per service, built from one session (building clients is the slow part of
    these tests on a loaded machine)."""

    cloudformation: Any
    ec2: Any
    sqs: Any
    logs: Any
    cloudwatch: Any
    autoscaling: Any


def _clients(aws: AwsConfig) -> Aws:
    session = boto3.session.Session(region_name=aws.region)
    names = [f.name for f in fields(Aws)]
    return Aws(**{name: make_client(name, aws, session=session) for name in names})


def _deploy(aws: Aws) -> Stack:
    app = f"st-{uuid.uuid4().hex[:10]}"
    template = synth(App(app, vcpu=2, memory_gib=4), Target.EC2_SPOT, for_emulator=True)
    ec2 = aws.ec2
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    cfn = aws.cloudformation
    name = f"spotq-status-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[
            {"ParameterKey": "VpcId", "ParameterValue": vpc},
            {"ParameterKey": "SubnetIds", "ParameterValue": subnet},
            {"ParameterKey": "ContainerImage", "ParameterValue": "example.invalid/worker:1"},
        ],
        Capabilities=["CAPABILITY_IAM"],
    )
    described = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE", described.get("StackStatusReason")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    return Stack(name, app, outputs)


def _log(aws: Aws, group: str, stream: str, *messages: Any) -> None:
    logs = aws.logs
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now_ms = int(time.time() * 1000)
    events = [
        {
            "timestamp": now_ms - 1000 * (len(messages) - i),
            "message": m if isinstance(m, str) else json.dumps(m),
        }
        for i, m in enumerate(messages)
    ]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def _fill(aws: Aws, stack: Stack) -> str:
    """Traffic, logs, metrics and an alarm for the stack; returns the alarm's name."""
    sqs = aws.sqs
    for i in range(3):
        sqs.send_message(QueueUrl=stack.outputs["QueueUrl"], MessageBody=f"job-{i}")
    sqs.send_message(QueueUrl=stack.outputs["HighPriorityQueueUrl"], MessageBody="urgent")
    sqs.receive_message(QueueUrl=stack.outputs["QueueUrl"], MaxNumberOfMessages=1)
    sqs.send_message(QueueUrl=stack.outputs["DeadLetterQueueUrl"], MessageBody="dead")
    _log(
        aws,
        stack.outputs["LogGroupName"],
        "worker/worker/task1",
        {"event": "job_done", "job_id": "j0", "app": stack.app},
        {"_aws": {"CloudWatchMetrics": []}, "JobsFailed": 1},
        {
            "event": "job_failed",
            "job_id": "j1",
            "outcome": "retry",
            "error": "CUDA [oom] at step 3",
        },
        "plain progress line",
    )
    _log(
        aws,
        stack.outputs["ScalerLogGroupName"],
        "2026/12/03/[$LATEST]abc",
        "START RequestId: 1",
        {
            "event": "decision",
            "at_s": time.time() - 30,
            "reason": "from-zero",
            "desired": 1,
            "previous": 0,
            "applied": True,
        },
        {
            "event": "decision",
            "at_s": time.time() - 15,
            "reason": "steady",
            "desired": 1,
            "previous": 1,
        },
    )
    cloudwatch = aws.cloudwatch
    cloudwatch.put_metric_data(
        Namespace="spotq",
        MetricData=[
            {
                "MetricName": "SpotInterruptions",
                "Value": 2.0,
                "Unit": "Count",
                "Timestamp": time.time() - 60,  # not in the query's last second (see below)
                "Dimensions": [{"Name": "App", "Value": stack.app}],
            }
        ],
    )
    # What CloudWatch publishes for SQS on its own (moto publishes nothing): the queue's age, a
    # minute late as real points are. (A point stamped "now" could fall in the same second as the
    # status query, which moto's get_metric_statistics drops: it truncates EndTime to the second.)
    queue_name = stack.outputs["QueueUrl"].rsplit("/", 1)[-1]
    cloudwatch.put_metric_data(
        Namespace="AWS/SQS",
        MetricData=[{"MetricName": "ApproximateAgeOfOldestMessage", "Value": 125.0,
                     "Unit": "Seconds", "Timestamp": time.time() - 60,
                     "Dimensions": [{"Name": "QueueName", "Value": queue_name}]}],
    )  # fmt: skip
    dlq_name = stack.outputs["DeadLetterQueueUrl"].rsplit("/", 1)[-1]
    alarm = f"{stack.name}-dead-letters"
    cloudwatch.put_metric_alarm(
        AlarmName=alarm,
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": dlq_name}],
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="1 dead job")
    return alarm


def _set_hosts(aws: Aws, stack: Stack, count: int) -> None:
    cfn = aws.cloudformation
    resources = cfn.list_stack_resources(StackName=stack.name)["StackResourceSummaries"]
    group = next(
        r["PhysicalResourceId"]
        for r in resources
        if r["ResourceType"] == "AWS::AutoScaling::AutoScalingGroup"
    )
    autoscaling = aws.autoscaling
    autoscaling.update_auto_scaling_group(AutoScalingGroupName=group, MaxSize=count)
    autoscaling.set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=count)


def test_status_shows_queues_service_capacity_alarms_and_errors(
    aws_env: AwsConfig, moto_server: str
) -> None:
    aws = _clients(aws_env)
    stack = _deploy(aws)
    alarm = _fill(aws, stack)
    _set_hosts(aws, stack, 1)
    runner = CliRunner()
    args = ["status", "--stack", stack.name, "--endpoint-url", moto_server]

    result = runner.invoke(cli, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert (status["stack"], status["app"]) == (stack.name, stack.app)
    queues = {q["role"]: q for q in status["queues"]}
    assert set(queues) == {"normal", "high", "dlq"}
    assert (queues["normal"]["visible"], queues["normal"]["in_flight"]) == (2, 1)
    assert queues["normal"]["oldest_age_s"] == 125.0
    assert queues["high"]["visible"] == 1
    assert queues["high"]["oldest_age_s"] is None
    assert queues["dlq"]["visible"] == 1
    assert status["service"]["name"] == stack.outputs["ServiceName"].rsplit("/", 1)[-1]
    assert status["service"]["desired"] == 0
    decisions = status["decisions"]
    assert [(d["reason"], d["previous"], d["desired"]) for d in decisions] == [
        ("steady", 1, 1),
        ("from-zero", 0, 1),
    ]
    assert len(status["capacity"]["hosts"]) == 1
    assert status["capacity"]["spot_interruptions_24h"] == 2
    assert [a["name"] for a in status["alarms_firing"]] == [alarm]
    assert [json.loads(e["message"])["job_id"] for e in status["errors"]] == ["j1"]
    assert status["notes"] == []

    screen = runner.invoke(cli, args, catch_exceptions=False, terminal_width=200)
    assert screen.exit_code == 0, screen.output
    text = screen.output
    for expected in (
        stack.outputs["QueueUrl"].rsplit("/", 1)[-1],
        "0 → 1  from-zero (applied)",
        "2m 05s",
        "stay at 1  steady",
        "1 hosts",
        "spot interruptions last 24 h: 2",
        "1 in ALARM",
        alarm,
        "1 dead job",
        "CUDA [oom] at step 3",
    ):
        assert expected in text, f"{expected!r} not in:\n{text}"
    assert "plain progress line" not in text

    # A section that cannot be read is a note; the rest still shows.
    aws.logs.delete_log_group(logGroupName=stack.outputs["ScalerLogGroupName"])
    partial = runner.invoke(cli, [*args, "--json"], catch_exceptions=False)
    assert partial.exit_code == 0, partial.output
    status = json.loads(partial.output)
    assert status["decisions"] == []
    assert [n.split(":")[0] for n in status["notes"]] == ["scaler decisions"]
    assert "ResourceNotFoundException" in status["notes"][0]
    assert len(status["errors"]) == 1


def test_status_of_a_missing_stack_is_one_line(aws_env: AwsConfig, moto_server: str) -> None:
    result = CliRunner().invoke(
        cli, ["status", "--stack", "no-such-stack", "--endpoint-url", moto_server]
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: stack 'no-such-stack' not found in us-east-1 (check --region and the name)"
    )


def test_status_without_credentials_is_one_line(
    aws_env: AwsConfig, moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var)
    result = CliRunner().invoke(cli, ["status", "--stack", "any", "--endpoint-url", moto_server])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no AWS credentials found")
    assert "Traceback" not in result.output


def test_status_with_an_unreachable_endpoint_is_one_line(aws_env: AwsConfig) -> None:
    result = CliRunner().invoke(
        cli, ["status", "--stack", "any", "--endpoint-url", "http://127.0.0.1:9"]
    )
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: cannot reach AWS at http://127.0.0.1:9")
    assert len(result.output.strip().splitlines()) == 1


def test_status_of_a_stage_names_its_stack(aws_env: AwsConfig, moto_server: str) -> None:
    args = ["status", "--stack", "shop", "--stage", "staging", "--endpoint-url", moto_server]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "stack 'spotq-shop-staging' not found" in result.output
    bad = CliRunner().invoke(cli, ["status", "--stack", "shop", "--stage", "Bad_Stage"])
    assert bad.exit_code != 0 and "stage 'Bad_Stage'" in bad.output
    assert "Traceback" not in bad.output
    alone = CliRunner().invoke(cli, ["status", "--stage", "staging"])
    assert alone.exit_code == 2 and "go with --stack" in alone.output
