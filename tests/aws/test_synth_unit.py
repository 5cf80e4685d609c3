"""What the synthesized templates say: sizes, queues, scaling, IAM scope, emulator subset."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from spotq.app import App
from spotq.aws.synth import ScalingEngine, SynthSettings, Target, synth
from spotq.aws.synth.emulator import UNSUPPORTED_TYPES
from spotq.aws.synth.sizing import default_instance_types, fargate_size
from spotq.errors import ConfigError
from spotq.scaling.spotq_default import SpotqDefaultPolicy
from spotq.stack import StackConfig

from .synth_apps import CPU_APP, GPU_APP


def _resources(template: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == type_]


def _one(template: dict[str, Any], type_: str) -> dict[str, Any]:
    (resource,) = _resources(template, type_)
    return resource["Properties"]


@pytest.mark.parametrize(
    ("vcpu", "memory_gib", "cpu", "memory"),
    [
        (0.25, 0.5, 256, 512),
        (1, 2, 1024, 2048),
        (2, 3, 2048, 4096),  # 2 vCPU needs at least 4 GiB
        (0.5, 5, 1024, 5120),  # 0.5 vCPU holds at most 4 GiB: move up a CPU size
        (3, 10, 4096, 10240),
        (16, 120, 16384, 122880),
    ],
)
def test_fargate_size_is_the_smallest_valid_pair(
    vcpu: float, memory_gib: float, cpu: int, memory: int
) -> None:
    size = fargate_size(App("x", vcpu=vcpu, memory_gib=memory_gib).options)
    assert (size.cpu_units, size.memory_mib) == (cpu, memory)


def test_fargate_rejects_what_it_cannot_hold() -> None:
    with pytest.raises(ConfigError, match="no Fargate task size"):
        synth(App("big", vcpu=16, memory_gib=200), Target.FARGATE_SPOT)
    with pytest.raises(ConfigError, match="use --target gpu"):
        synth(GPU_APP, Target.FARGATE_SPOT)


def test_fargate_task_and_service() -> None:
    template = synth(CPU_APP, Target.FARGATE_SPOT)
    task = _one(template, "AWS::ECS::TaskDefinition")
    assert (task["Cpu"], task["Memory"], task["NetworkMode"]) == ("2048", "8192", "awsvpc")
    (container,) = task["ContainerDefinitions"]
    assert container["StopTimeout"] == 120
    assert container["HealthCheck"]["Command"] == ["CMD", "python", "-m", "spotq.aws.health"]
    assert "SharedMemorySize" not in container["LinuxParameters"]  # Fargate has none
    assert "ResourceRequirements" not in container
    service = _one(template, "AWS::ECS::Service")
    assert service["DesiredCount"] == 0
    assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {
        "Enable": True,
        "Rollback": True,
    }
    providers = [s["CapacityProvider"] for s in service["CapacityProviderStrategy"]]
    assert providers == ["FARGATE_SPOT", "FARGATE"]
    assert not _resources(template, "AWS::AutoScaling::AutoScalingGroup")
    # 100 % Spot by default (what plan and simulate price); a mix is a parameter away.
    params = template["Parameters"]
    assert (params["SpotWeight"]["Default"], params["OnDemandWeight"]["Default"]) == (1, 0)
    # spotq's scaler asks ECS and SQS directly: Container Insights would only cost money.
    cluster = _one(template, "AWS::ECS::Cluster")
    assert cluster["ClusterSettings"] == [{"Name": "containerInsights", "Value": "disabled"}]
    tracking = synth(CPU_APP, Target.FARGATE_SPOT, _TRACKING)
    cluster = _one(tracking, "AWS::ECS::Cluster")
    assert cluster["ClusterSettings"] == [{"Name": "containerInsights", "Value": "enabled"}]


def test_queues_follow_the_app_options() -> None:
    template = synth(CPU_APP, Target.FARGATE_SPOT)
    queues = {
        q["Properties"]["QueueName"]: q["Properties"]
        for q in _resources(template, "AWS::SQS::Queue")
    }
    stack = StackConfig(app=CPU_APP.name, sqs_endpoint_url=None)
    assert set(queues) == {stack.queue_name, stack.high_queue_name, stack.dlq_name}
    for name in (stack.queue_name, stack.high_queue_name):
        assert queues[name]["RedrivePolicy"]["maxReceiveCount"] == CPU_APP.options.max_receives
        assert queues[name]["VisibilityTimeout"] == CPU_APP.options.visibility_timeout_s
    assert all(q["SqsManagedSseEnabled"] for q in queues.values())


def test_gpu_target_asks_for_gpus_shared_memory_and_the_gpu_ami() -> None:
    template = synth(GPU_APP, Target.GPU)
    (container,) = _one(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    assert container["ResourceRequirements"] == [{"Type": "GPU", "Value": "1"}]
    assert container["Memory"] == 13 * 1024
    assert container["LinuxParameters"]["SharedMemorySize"] == 13 * 1024 // 4
    ami = template["Parameters"]["AmiId"]
    assert ami["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert "/gpu/" in ami["Default"]
    service = _one(template, "AWS::ECS::Service")
    assert service["PlacementConstraints"] == [{"Type": "distinctInstance"}]
    assert {"Type": "spread", "Field": "attribute:ecs.availability-zone"} in service[
        "PlacementStrategies"
    ]


def test_ec2_capacity_is_spot_with_imdsv2_and_managed_draining() -> None:
    template = synth(CPU_APP, Target.EC2_SPOT)
    data = _one(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert (
        data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    )  # containers cannot reach the instance role
    assert "/gpu/" not in template["Parameters"]["AmiId"]["Default"]
    asg = _one(template, "AWS::AutoScaling::AutoScalingGroup")
    assert asg["MinSize"] == "0"
    overrides = asg["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]
    assert len(overrides) == 6  # the first type always, five more when the parameter has them
    provider = _one(template, "AWS::ECS::CapacityProvider")["AutoScalingGroupProvider"]
    assert provider["ManagedDraining"] == "ENABLED"
    assert provider["ManagedScaling"]["InstanceWarmupPeriod"] == 300
    assert "PlacementConstraints" not in _one(template, "AWS::ECS::Service")


def test_default_instance_types_each_hold_one_task() -> None:
    types = default_instance_types(CPU_APP.options, Target.EC2_SPOT)
    assert 2 <= len(types) <= 6
    assert "m5.large" not in types  # 8 GiB: not enough once the host keeps its share
    assert all(
        t.startswith(("g4dn", "g5", "g6"))
        for t in default_instance_types(GPU_APP.options, Target.GPU)
    )
    with pytest.raises(ConfigError, match="no instance type"):
        default_instance_types(App("huge", vcpu=64, memory_gib=512).options, Target.EC2_SPOT)


_TRACKING = SynthSettings(scaling_engine=ScalingEngine.AWS_TARGET_TRACKING)


def _scaler_config(template: dict[str, Any]) -> dict[str, Any]:
    raw = _one(template, "AWS::Lambda::Function")["Environment"]["Variables"]["SPOTQ_SCALER"]
    return dict(json.loads(raw["Fn::Sub"].replace("${MaxWorkers}", "7")))


@pytest.mark.parametrize("target", list(Target), ids=lambda t: t.value)
def test_default_engine_is_spotqs_scaler_function(target: Target) -> None:
    app = GPU_APP if target is Target.GPU else CPU_APP
    template = synth(app, target, SynthSettings(max_workers=7))
    assert not _resources(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    function = _one(template, "AWS::Lambda::Function")
    assert function["Handler"] == "spotq.aws.scaler.handler.handler"
    assert function["Code"] == {"S3Bucket": {"Ref": "ScalerCodeBucket"},
                                "S3Key": {"Ref": "ScalerCodeKey"}}  # fmt: skip
    assert function["ReservedConcurrentExecutions"] == 1
    schedule = _one(template, "AWS::Scheduler::Schedule")
    assert schedule["ScheduleExpression"] == "rate(1 minute)"
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": ["ScalerFunction", "Arn"]}
    config = _scaler_config(template)
    assert config["max_workers"] == 7
    hold = 60.0 if target is Target.FARGATE_SPOT else 195.0  # a start-up (EC2: a host's too)
    assert config["policy_params"] == {
        "target_backlog_per_worker": float(app.options.batch_size), "startup_s": hold,
        "scale_in_cooldown_s": hold, "idle_to_zero_s": hold,
    }  # fmt: skip
    assert config["service"] == "${Service.Name}"
    scaler_role = template["Resources"]["ScalerRole"]["Properties"]["Policies"][0]
    actions = sorted(
        a
        for st in scaler_role["PolicyDocument"]["Statement"]
        for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    )
    assert actions == [
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "ecs:DescribeServices",
        "ecs:UpdateService", "logs:CreateLogStream", "logs:PutLogEvents",
        "sqs:GetQueueAttributes",
    ]  # fmt: skip


def test_scaling_carries_the_spotq_default_policy() -> None:
    settings = SynthSettings(max_workers=7, scaling_engine=ScalingEngine.AWS_TARGET_TRACKING)
    template = synth(CPU_APP, Target.FARGATE_SPOT, settings)
    assert not _resources(template, "AWS::Lambda::Function")
    policy = SpotqDefaultPolicy(max_workers=7)
    target = _one(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["MinCapacity"], template["Parameters"]["MaxWorkers"]["Default"]) == (0, 7)
    policies = {
        p["Properties"]["PolicyType"]: p["Properties"]
        for p in _resources(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
    }
    tracking = policies["TargetTrackingScaling"]["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == CPU_APP.options.batch_size
    assert tracking["ScaleOutCooldown"] == round(policy.scale_out_cooldown_s)
    assert tracking["ScaleInCooldown"] == round(policy.scale_in_cooldown_s)
    (returned,) = [
        m for m in tracking["CustomizedMetricSpecification"]["Metrics"] if m["ReturnData"]
    ]
    assert "IF(FILL(running, 0) > 0" in returned["Expression"]  # no division by zero tasks
    step = policies["StepScaling"]["StepScalingPolicyConfiguration"]
    assert step["AdjustmentType"] == "ExactCapacity"
    assert step["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]


def test_alarms_for_dead_letters_and_old_messages() -> None:
    template = synth(CPU_APP, Target.FARGATE_SPOT)
    by_metric = {
        a["Properties"].get("MetricName"): a["Properties"]
        for a in _resources(template, "AWS::CloudWatch::Alarm")
    }
    dlq = by_metric["ApproximateNumberOfMessagesVisible"]
    assert (dlq["ComparisonOperator"], dlq["Threshold"]) == ("GreaterThanThreshold", 0)
    assert dlq["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}
    age = template["Resources"]["OldestMessageAlarm"]["Properties"]  # metric math: both queues
    assert "ApproximateAgeOfOldestMessage" in json.dumps(age["Metrics"])


def _statements(template: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for role in _resources(template, "AWS::IAM::Role"):
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                if "Fn::If" in statement:
                    statement = statement["Fn::If"][1]
                yield statement


@pytest.mark.parametrize("target", list(Target), ids=lambda t: t.value)
def test_iam_resources_are_scoped(target: Target) -> None:
    app = GPU_APP if target is Target.GPU else CPU_APP
    statements = list(_statements(synth(app, target)))
    assert statements
    for statement in statements:
        assert statement["Effect"] == "Allow"
        resources = statement["Resource"]
        resources = resources if isinstance(resources, list) else [resources]
        if "*" in resources:  # only where AWS has no resource-level permission
            assert statement["Action"] == "ecr:GetAuthorizationToken"
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert not any(a.endswith(":*") or a == "*" for a in actions)
    blobs = [s for s in statements if s.get("Sid") == "Blobs"]
    assert blobs[0]["Resource"] == {"Fn::Sub": "${BlobBucket.Arn}/" + app.name + "/*"}


def test_container_gets_the_stack_config() -> None:
    template = synth(CPU_APP, Target.FARGATE_SPOT)
    (container,) = _one(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    raw = env["SPOTQ_STACK_CONFIG"]["Fn::Sub"]
    filled = (
        raw.replace("${BlobBucket}", "b")
        .replace("${JobTable}", "t")
        .replace("${AWS::Region}", "eu-west-1")
    )
    stack = StackConfig.from_json(filled)
    assert stack == StackConfig(
        app=CPU_APP.name,
        sqs_endpoint_url=None,
        region="eu-west-1",
        blob_url=f"s3://b/{CPU_APP.name}",
        jobs_url="dynamodb://t",
        manage_queues=False,  # CloudFormation owns the queues: the worker only looks them up
    )


def test_synthesis_is_deterministic() -> None:
    first = json.dumps(synth(GPU_APP, Target.GPU), sort_keys=True)
    assert json.dumps(synth(GPU_APP, Target.GPU), sort_keys=True) == first


@pytest.mark.parametrize("target", list(Target), ids=lambda t: t.value)
def test_emulator_subset_keeps_what_moto_creates(target: Target) -> None:
    app = GPU_APP if target is Target.GPU else CPU_APP
    full = synth(app, target)
    subset = synth(app, target, for_emulator=True)
    types = {r["Type"] for r in subset["Resources"].values()}
    assert not types & UNSUPPORTED_TYPES
    assert {
        "AWS::SQS::Queue",
        "AWS::S3::Bucket",
        "AWS::DynamoDB::Table",
        "AWS::ECS::Service",
    } <= types
    service = subset["Resources"]["Service"]["Properties"]
    if target.is_ec2:
        assert service["LaunchType"] == "EC2"
        assert "AWS::AutoScaling::AutoScalingGroup" in types
    assert "MaxWorkers" in full["Parameters"] and "MaxWorkers" not in subset["Parameters"]


def test_policy_parameters_reach_the_scaling_resources(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from spotq.cli import cli

    app_file = tmp_path / "app.py"
    app_file.write_text("import spotq\napp = spotq.App('tuned', batch_size=3)\n")
    out = tmp_path / "t.json"
    args = ["synth", str(app_file), "--target", "fargate-spot", "-o", str(out)]
    tuned = [*args, "--scaling", "scale_in_cooldown_s=300", "--scaling", "min_workers=1"]
    result = CliRunner().invoke(cli, tuned)
    assert result.exit_code == 0, result.output
    config = _scaler_config(json.loads(out.read_text()))
    assert config["policy_params"] == {
        "min_workers": 1, "scale_in_cooldown_s": 300, "target_backlog_per_worker": 3.0,
        "startup_s": 60.0, "idle_to_zero_s": 60.0,
    }  # fmt: skip
    result = CliRunner().invoke(cli, [*tuned, "--scaling-engine", "aws-target-tracking"])
    assert result.exit_code == 0, result.output
    template = json.loads(out.read_text())
    assert _one(template, "AWS::ApplicationAutoScaling::ScalableTarget")["MinCapacity"] == 1
    tracking = [
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        for p in _resources(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
        if p["Properties"]["PolicyType"] == "TargetTrackingScaling"
    ]
    assert tracking[0]["ScaleInCooldown"] == 300
    assert tracking[0]["TargetValue"] == 3
    bad = CliRunner().invoke(cli, [*args, "--scaling", "nonsense=1"])
    assert bad.exit_code == 1 and "unknown parameter(s) nonsense" in bad.output


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"log_retention_days": 31}, "log_retention_days: expected one of"),
        ({"instance_types": tuple(f"m5.{i}" for i in range(7))}, "at most 6 instance types"),
        ({"stop_timeout_s": 300}, "stop_timeout_s: expected 2..120"),
        ({"max_workers": 0}, "max_workers: expected 1..1000"),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SynthSettings(**settings)


def test_stop_timeout_and_instance_types_reach_the_template() -> None:
    settings = SynthSettings(stop_timeout_s=60, instance_types=("c7i.large", "c6i.large"))
    template = synth(CPU_APP, Target.EC2_SPOT, settings)
    (container,) = _one(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    assert container["StopTimeout"] == 60
    assert template["Parameters"]["InstanceTypes"]["Default"] == "c7i.large,c6i.large"
