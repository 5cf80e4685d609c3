"""Synthesis of stages, hosts and rollouts: names per stage, IMDS out of containers' reach,
managed termination protection, Session Manager as an option, deployment settings per target,
the oldest-message alarm on both work queues, and a GPU target that needs a GPU app."""

from __future__ import annotations

import json
from typing import Any

import pytest

from spotq.app import App
from spotq.aws.synth import SynthSettings, Target, synth
from spotq.aws.synth.cfn import NO_VALUE
from spotq.aws.synth.iam import SSM_INSTANCE_POLICY
from spotq.aws.synth.realtime import RealtimeSettings, RealtimeTarget, synth_realtime
from spotq.errors import ConfigError
from spotq.stack import StackConfig

from .synth_apps import CPU_APP, GPU_APP


def _props(template: dict[str, Any], type_: str) -> dict[str, Any]:
    (found,) = [r for r in template["Resources"].values() if r["Type"] == type_]
    return dict(found["Properties"])


def _stack_config(template: dict[str, Any]) -> StackConfig:
    container = _props(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"][0]
    (value,) = [e["Value"] for e in container["Environment"] if e["Name"] == "SPOTQ_STACK_CONFIG"]
    return StackConfig.from_json(value["Fn::Sub"])


@pytest.mark.parametrize("target", list(Target), ids=lambda t: t.value)
def test_a_stage_names_every_named_resource(target: Target) -> None:
    app = GPU_APP if target is Target.GPU else CPU_APP
    template = synth(app, target, SynthSettings(stage="staging"))
    queues = {p["QueueName"] for p in _queue_props(template)}
    assert queues == {f"spotq-{app.name}_staging", f"spotq-{app.name}-high_staging",
                      f"spotq-{app.name}-dlq_staging"}  # fmt: skip
    groups = {
        r["Properties"]["LogGroupName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Logs::LogGroup"
    }
    assert groups == {f"/spotq/{app.name}/staging/worker", f"/spotq/{app.name}/staging/scaler"}
    assert _props(template, "AWS::ECS::TaskDefinition")["Family"] == f"spotq-{app.name}_staging"
    stack = _stack_config(template)
    assert (stack.stage, stack.queue_name) == ("staging", f"spotq-{app.name}_staging")
    # Everything else AWS names is left to CloudFormation (unique per stack).
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("ClusterName", "ServiceName", "RoleName", "FunctionName", "TableName"):
            assert key not in props
    tagged = json.dumps(template)
    assert '{"Key": "spotq:stage", "Value": "staging"}' in tagged


def _queue_props(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::SQS::Queue"
    ]


@pytest.mark.parametrize("target", [Target.EC2_SPOT, Target.GPU], ids=lambda t: t.value)
def test_hosts_keep_imds_from_containers_and_protect_busy_hosts(target: Target) -> None:
    app = GPU_APP if target is Target.GPU else CPU_APP
    template = synth(app, target)
    data = _props(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    assert data["MetadataOptions"] == {
        "HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1,
    }  # fmt: skip
    assert _props(template, "AWS::AutoScaling::AutoScalingGroup")[
        "NewInstancesProtectedFromScaleIn"] is True  # fmt: skip
    provider = _props(template, "AWS::ECS::CapacityProvider")["AutoScalingGroupProvider"]
    assert provider["ManagedTerminationProtection"] == "ENABLED"
    assert provider["ManagedDraining"] == "ENABLED"
    # Spot notices arrive as SIGTERM from the agent's spot draining.
    user_data = json.dumps(data["UserData"])
    assert "ECS_ENABLE_SPOT_INSTANCE_DRAINING=true" in user_data


def test_session_manager_is_a_parameter_off_by_default() -> None:
    template = synth(CPU_APP, Target.EC2_SPOT)
    param = template["Parameters"]["SessionManagerAccess"]
    assert (param["Default"], param["AllowedValues"]) == ("false", ["false", "true"])
    role = template["Resources"]["InstanceRole"]["Properties"]
    ecs_policy, ssm = role["ManagedPolicyArns"]
    assert "AmazonEC2ContainerServiceforEC2Role" in ecs_policy["Fn::Sub"]
    assert ssm == {"Fn::If": ["SessionManagerEnabled", {"Fn::Sub": SSM_INSTANCE_POLICY}, NO_VALUE]}
    user_data = template["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"][
        "UserData"]["Fn::Base64"]["Fn::Join"][1]  # fmt: skip
    condition, install, nothing = user_data[1]["Fn::If"]
    assert (condition, nothing) == ("SessionManagerEnabled", "")
    assert "systemctl enable --now amazon-ssm-agent" in install
    assert template["Conditions"]["SessionManagerEnabled"] == {
        "Fn::Equals": [{"Ref": "SessionManagerAccess"}, "true"]
    }


@pytest.mark.parametrize(
    ("target", "distinct", "minimum", "maximum"),
    [
        (Target.FARGATE_SPOT, False, 100, 200),
        (Target.EC2_SPOT, False, 0, 200),
        (Target.EC2_SPOT, True, 0, 100),
        (Target.GPU, True, 0, 100),
        (Target.GPU, False, 0, 200),
    ],
)
def test_rollouts_fit_the_hosts(target: Target, distinct: bool, minimum: int, maximum: int) -> None:
    app = App("roll", vcpu=2, memory_gib=8, gpus=int(target is Target.GPU),
              distinct_instance=distinct)  # fmt: skip
    config = _props(synth(app, target), "AWS::ECS::Service")["DeploymentConfiguration"]
    assert config == {
        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
        "MinimumHealthyPercent": minimum,
        "MaximumPercent": maximum,
    }


def test_oldest_message_alarm_watches_both_work_queues() -> None:
    alarm = synth(CPU_APP, Target.FARGATE_SPOT)["Resources"]["OldestMessageAlarm"]["Properties"]
    queues = {
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for m in alarm["Metrics"]
        if "MetricStat" in m
    }
    assert queues == {"JobQueue", "HighPriorityQueue"}
    (returned,) = [m for m in alarm["Metrics"] if m["ReturnData"]]
    assert returned["Expression"] == "MAX([normal, high])"


def test_instance_type_order_is_described_as_the_strategy_uses_it() -> None:
    params = synth(CPU_APP, Target.EC2_SPOT)["Parameters"]
    assert "priority order" not in params["InstanceTypes"]["Description"]
    assert "capacity-optimized-prioritized" in params["InstanceTypes"]["Description"]
    assert "order ignored" in params["SpotAllocationStrategy"]["Description"]


def test_gpu_target_needs_a_gpu_app() -> None:
    with pytest.raises(ConfigError, match=r"gpus=0.*set gpus=1"):
        synth(CPU_APP, Target.GPU)
    cpu_realtime = App("rt", rps_per_task=5)
    with pytest.raises(ConfigError, match=r"gpus=0.*set gpus=1"):
        synth_realtime(cpu_realtime, RealtimeTarget.GPU, RealtimeSettings(), "/app/a.py")


def test_realtime_targets_take_the_stage_and_protect_hosts() -> None:
    app = App("rt", rps_per_task=5, gpus=1)
    template = synth_realtime(app, RealtimeTarget.GPU, RealtimeSettings(stage="qa"), "/app/a.py")
    groups = {
        r["Properties"]["LogGroupName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Logs::LogGroup"
    }
    assert groups == {"/spotq/rt/qa/serve"}
    assert _props(template, "AWS::ECS::TaskDefinition")["Family"] == "spotq-rt-serve_qa"
    provider = _props(template, "AWS::ECS::CapacityProvider")["AutoScalingGroupProvider"]
    assert provider["ManagedTerminationProtection"] == "ENABLED"
    assert _props(template, "AWS::AutoScaling::AutoScalingGroup")[
        "NewInstancesProtectedFromScaleIn"] is True  # fmt: skip
    # Room for one new task beside a full fleet: the rollout keeps every serving task.
    assert template["Parameters"]["MaxInstances"]["Default"] == RealtimeSettings().max_tasks + 1
    config = _props(template, "AWS::ECS::Service")["DeploymentConfiguration"]
    assert (config["MinimumHealthyPercent"], config["MaximumPercent"]) == (100, 200)
