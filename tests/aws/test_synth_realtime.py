"""`spotq synth --target realtime-fargate | realtime-gpu`: what the templates promise, and the
same validation bar as the worker targets (cfn-lint silent, checkov 0 failed, skips explained)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from spotq.app import App
from spotq.aws.synth.realtime import RealtimeSettings, RealtimeTarget, synth_realtime
from spotq.errors import ConfigError

from .checkov_run import assert_skips_have_reasons, checkov_report, failed_checks

REPO = Path(__file__).resolve().parents[2]
CFN_LINT = Path(sys.executable).with_name("cfn-lint")

CPU_APP = App("speech", batch_size=4, vcpu=2, memory_gib=4, rps_per_task=40.0,
              latency_budget_ms=800)  # fmt: skip
GPU_APP = App("vision", batch_size=8, vcpu=4, memory_gib=13, gpus=1, rps_per_task=200.0)
APPS = {RealtimeTarget.FARGATE: CPU_APP, RealtimeTarget.GPU: GPU_APP}


def _template(target: RealtimeTarget) -> dict[str, Any]:
    return synth_realtime(APPS[target], target, RealtimeSettings(max_tasks=6), "apps/speech.py")


def _of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


def _attributes(resource: dict[str, Any], key: str) -> dict[str, Any]:
    return {a["Key"]: a["Value"] for a in resource["Properties"][key]}


@pytest.mark.parametrize("target", list(RealtimeTarget), ids=lambda t: t.value)
def test_the_alb_keeps_websockets_open_and_logs_and_redirects(target: RealtimeTarget) -> None:
    template = _template(target)
    (alb,) = _of_type(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert alb["Properties"]["Scheme"] == "internet-facing"
    attributes = _attributes(alb, "LoadBalancerAttributes")
    assert attributes["idle_timeout.timeout_seconds"] == "3600"
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.bucket"] == {"Ref": "AccessLogBucket"}
    listeners = {
        r["Properties"]["Port"]: r["Properties"]
        for r in _of_type(template, "AWS::ElasticLoadBalancingV2::Listener")
    }
    assert listeners[443]["Certificates"] == [{"CertificateArn": {"Ref": "CertificateArn"}}]
    redirect = listeners[80]["DefaultActions"][0]
    assert redirect["Type"] == "redirect" and redirect["RedirectConfig"]["Protocol"] == "HTTPS"


@pytest.mark.parametrize("target", list(RealtimeTarget), ids=lambda t: t.value)
def test_target_group_checks_readiness_sticks_and_outwaits_the_drain(
    target: RealtimeTarget,
) -> None:
    template = _template(target)
    (group,) = _of_type(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert group["Properties"]["HealthCheckPath"] == "/readyz"
    attributes = _attributes(group, "TargetGroupAttributes")
    assert attributes["stickiness.type"] == "lb_cookie"
    (task,) = _of_type(template, "AWS::ECS::TaskDefinition")
    container = task["Properties"]["ContainerDefinitions"][0]
    command = container["Command"]
    drain_s = int(command[command.index("--drain-s") + 1])
    assert int(attributes["deregistration_delay.timeout_seconds"]) > drain_s
    assert drain_s < container["StopTimeout"] <= 120
    assert command[:3] == ["spotq", "serve", "/app/speech.py"]
    assert container["Secrets"][0]["Name"] == "SPOTQ_API_KEY"  # off loopback: a key


@pytest.mark.parametrize("target", list(RealtimeTarget), ids=lambda t: t.value)
def test_only_the_alb_reaches_the_tasks(target: RealtimeTarget) -> None:
    resources = _template(target)["Resources"]
    alb_in = resources["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert sorted(rule["FromPort"] for rule in alb_in) == [80, 443]
    assert all(rule["CidrIp"] == {"Ref": "AllowedCidr"} for rule in alb_in)
    assert "SecurityGroupIngress" not in resources["TaskSecurityGroup"]["Properties"]
    task_in = resources["TasksFromLoadBalancerIngress"]["Properties"]
    assert task_in["SourceSecurityGroupId"] == {
        "Fn::GetAtt": ["LoadBalancerSecurityGroup", "GroupId"]
    }


def test_scaling_tracks_requests_per_task_from_rps_per_task() -> None:
    template = _template(RealtimeTarget.FARGATE)
    (policy,) = _of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
    config = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    spec = config["PredefinedMetricSpecification"]
    assert spec["PredefinedMetricType"] == "ALBRequestCountPerTarget"
    # 40 requests/s per task x 60 s x 0.7 headroom
    assert template["Parameters"]["RequestsPerTaskPerMinute"]["Default"] == 1680
    assert template["Parameters"]["LatencyP95AlarmSeconds"]["Default"] == 0.8
    alarms = {r["Properties"]["MetricName"] for r in _of_type(template, "AWS::CloudWatch::Alarm")}
    assert alarms == {"HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count", "TargetResponseTime"}


def test_gpu_tasks_get_whole_gpus_on_gpu_optimized_hosts() -> None:
    template = _template(RealtimeTarget.GPU)
    (task,) = _of_type(template, "AWS::ECS::TaskDefinition")
    container = task["Properties"]["ContainerDefinitions"][0]
    assert container["ResourceRequirements"] == [{"Type": "GPU", "Value": "1"}]
    assert "gpu" in template["Parameters"]["AmiId"]["Default"]
    assert _of_type(template, "AWS::ECS::CapacityProvider")


def test_apps_without_rps_per_task_or_with_gpus_on_fargate_are_refused() -> None:
    with pytest.raises(ConfigError, match="rps_per_task"):
        synth_realtime(App("x"), RealtimeTarget.FARGATE)
    with pytest.raises(ConfigError, match="Fargate has no GPUs"):
        synth_realtime(GPU_APP, RealtimeTarget.FARGATE)


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("realtime")
    for target in RealtimeTarget:
        (directory / f"{target.value}.json").write_text(json.dumps(_template(target), indent=2))
        staged = synth_realtime(
            APPS[target], target, RealtimeSettings(max_tasks=6, stage="qa"), "apps/speech.py"
        )
        (directory / f"{target.value}-stage-qa.json").write_text(json.dumps(staged, indent=2))
    return directory


def test_cfn_lint_reports_nothing(template_dir: Path) -> None:
    files = sorted(str(p) for p in template_dir.iterdir())
    done = subprocess.run(
        [str(CFN_LINT), "--format", "parseable", *files], capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip() == "", done.stdout + done.stderr


def test_checkov_reports_no_failed_check(template_dir: Path) -> None:
    cfn = checkov_report(template_dir, "cloudformation")
    failed = failed_checks(cfn)
    assert failed == [], "\n".join(failed)
    assert cfn["summary"]["parsing_errors"] == 0
    assert cfn["summary"]["passed"] > 50
    assert_skips_have_reasons(cfn)


def test_the_cli_writes_realtime_templates_and_deploy_takes_the_same_image_options(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from spotq.aws.cli import stack_parameters
    from spotq.cli import cli

    app_file = tmp_path / "speech.py"
    app_file.write_text(
        "import spotq\n"
        "app = spotq.App('speech', rps_per_task=20)\n"
        "@app.handler\n"
        "def handle(model, jobs):\n"
        "    return [{} for _ in jobs]\n"
    )
    out = tmp_path / "t.yaml"
    result = CliRunner().invoke(
        cli, ["synth", str(app_file), "--target", "realtime-fargate", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    template = yaml.safe_load(out.read_text())
    command = template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert command["Command"][2] == "/app/speech.py"
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/speech:1"
    values = stack_parameters(template, ("CertificateArn=arn:aws:acm:x",), image)
    assert values["ContainerImage"] == image
    assert values["ImageRepositoryArn"].endswith(":repository/speech")
    refused = CliRunner().invoke(
        cli, ["synth", str(app_file), "--target", "realtime-gpu", "-o", str(out), "--for-emulator"]
    )
    assert refused.exit_code != 0 and "emulator" in refused.output
