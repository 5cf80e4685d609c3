"""`spotq synth --format terraform`: every worker target × scaling engine and both realtime
targets export, parse with python-hcl2, and declare the same resources, parameters (as
variables), outputs and key settings as the CloudFormation template they came from."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from spotq.aws.terraform import write_module
from spotq.aws.terraform.names import snake
from spotq.aws.terraform.registry import MAPPINGS

from .terraform_module import Module, actions, block, exported_templates

TEMPLATES = exported_templates()


@pytest.fixture(scope="module", params=sorted(TEMPLATES))
def exported(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], Module]:
    template = TEMPLATES[request.param]
    directory = tmp_path_factory.mktemp(f"tf-{request.param}")
    write_module(template, directory)
    return template, Module.load(directory)


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource.get("Properties", {})
        for name, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def test_every_cfn_resource_is_one_terraform_resource_of_the_mapped_type(
    exported: tuple[dict[str, Any], Module],
) -> None:
    template, module = exported
    resources = module.resources()
    cfn_labels = {snake(name): r["Type"] for name, r in template["Resources"].items()}
    main = Counter(MAPPINGS[kind].tf_type for kind in cfn_labels.values())
    assert main == Counter(t for (t, label) in resources if label in cfn_labels)
    for label, kind in cfn_labels.items():
        assert (MAPPINGS[kind].tf_type, label) in resources, f"{kind} {label} missing"
    # The rest are companions of one CFN resource (the bucket's settings, a role's policies).
    for tf_type, label in resources:
        assert any(label.startswith(name) for name in cfn_labels), (tf_type, label)


def test_parameters_are_variables_and_outputs_are_outputs(
    exported: tuple[dict[str, Any], Module],
) -> None:
    template, module = exported
    variables = module.named("variable")
    assert set(variables) == {snake(p) for p in template["Parameters"]} | {"name_prefix"}
    for name, spec in template["Parameters"].items():
        variable = variables[snake(name)]
        assert ("default" in variable) == ("Default" in spec), name
        if "Default" in spec and spec["Type"] == "Number":
            assert variable["default"] == spec["Default"], name
        if "AllowedValues" in spec:
            assert any("contains(" in v["condition"] for v in variable["validation"]), name
    assert set(module.named("output")) == {snake(o) for o in template["Outputs"]}


def test_queues_keep_timeouts_redrive_and_encryption(
    exported: tuple[dict[str, Any], Module],
) -> None:
    template, module = exported
    resources = module.resources()
    for name, props in _of_type(template, "AWS::SQS::Queue").items():
        queue = resources[("aws_sqs_queue", snake(name))]
        assert queue["name"] == props["QueueName"]
        assert queue.get("visibility_timeout_seconds") == props.get("VisibilityTimeout")
        assert queue["message_retention_seconds"] == props["MessageRetentionPeriod"]
        assert queue["sqs_managed_sse_enabled"] is props["SqsManagedSseEnabled"] is True
        if "RedrivePolicy" in props:
            count = re.search(r'"maxReceiveCount" = (\d+)', queue["redrive_policy"])
            assert count and int(count.group(1)) == props["RedrivePolicy"]["maxReceiveCount"]


def test_bucket_and_table_keep_encryption_and_protection(
    exported: tuple[dict[str, Any], Module],
) -> None:
    template, module = exported
    resources = module.resources()
    for name, props in _of_type(template, "AWS::S3::Bucket").items():
        label = snake(name)
        sse = resources[
            ("aws_s3_bucket_server_side_encryption_configuration", f"{label}_encryption")
        ]
        by_default = block(block(sse, "rule"), "apply_server_side_encryption_by_default")
        cfn_rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert (
            by_default["sse_algorithm"] == cfn_rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
        )
        public = resources[("aws_s3_bucket_public_access_block", f"{label}_public_access")]
        assert all(public[key] is True for key in ("block_public_acls", "restrict_public_buckets"))
        assert resources[("aws_s3_bucket", label)]["lifecycle"][0]["prevent_destroy"] is True
    for name, props in _of_type(template, "AWS::DynamoDB::Table").items():
        table = resources[("aws_dynamodb_table", snake(name))]
        assert block(table, "server_side_encryption")["enabled"] is True
        assert block(table, "point_in_time_recovery")["enabled"] is True
        assert table["billing_mode"] == props["BillingMode"]


def test_task_size_and_service_capacity_match(exported: tuple[dict[str, Any], Module]) -> None:
    template, module = exported
    resources = module.resources()
    for name, props in _of_type(template, "AWS::ECS::TaskDefinition").items():
        task = resources[("aws_ecs_task_definition", snake(name))]
        assert str(task.get("cpu")) == str(props.get("Cpu"))
        assert str(task.get("memory")) == str(props.get("Memory"))
        assert task["network_mode"] == props["NetworkMode"]
        (container,) = props["ContainerDefinitions"]
        text = task["container_definitions"]
        if "Memory" in container:  # EC2 targets size the container, Fargate only the task
            assert f'"memory" = {container["Memory"]}' in text
        assert f'"stopTimeout" = {container["StopTimeout"]}' in text
        assert '"readonlyRootFilesystem" = true' in text
    for name, props in _of_type(template, "AWS::ECS::Service").items():
        service = resources[("aws_ecs_service", snake(name))]
        strategy = [s["CapacityProvider"] for s in props.get("CapacityProviderStrategy", [])]
        tf_strategy = [
            s["capacity_provider"] for s in service.get("capacity_provider_strategy", [])
        ]
        assert service.get("launch_type") == props.get("LaunchType")
        assert len(tf_strategy) == len(strategy)
        for cfn, tf in zip(strategy, tf_strategy, strict=True):
            assert cfn == tf if isinstance(cfn, str) else "capacity_provider" in tf
        deployment = props["DeploymentConfiguration"]
        assert service["deployment_minimum_healthy_percent"] == deployment["MinimumHealthyPercent"]
        assert service["deployment_maximum_percent"] == deployment["MaximumPercent"]
        breaker = block(service, "deployment_circuit_breaker")
        assert breaker == {"enable": True, "rollback": True}
        assert len(service.get("placement_constraints", [])) == len(
            props.get("PlacementConstraints", [])
        )
        assert "desired_count" in str(service["lifecycle"][0]["ignore_changes"])


def test_each_role_grants_the_same_actions(exported: tuple[dict[str, Any], Module]) -> None:
    template, module = exported
    resources = module.resources()
    for name, props in _of_type(template, "AWS::IAM::Role").items():
        label = snake(name)
        cfn_actions: set[str] = set()
        for policy in props.get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                statement = statement.get("Fn::If", [None, statement])[1]
                granted = statement["Action"]
                cfn_actions.update([granted] if isinstance(granted, str) else granted)
        tf_actions: set[str] = set()
        for (tf_type, _), body in resources.items():
            if (
                tf_type == "aws_iam_role_policy"
                and body["role"] == f"${{aws_iam_role.{label}.name}}"
            ):
                tf_actions |= actions(body["policy"])
        assert tf_actions == cfn_actions, name
        attachments = [
            body
            for (tf_type, _), body in resources.items()
            if tf_type == "aws_iam_role_policy_attachment"
            and body["role"] == f"${{aws_iam_role.{label}.name}}"
        ]
        assert len(attachments) == len(props.get("ManagedPolicyArns", []))


def test_logs_hosts_and_alarms_keep_their_settings(
    exported: tuple[dict[str, Any], Module],
) -> None:
    template, module = exported
    resources = module.resources()
    for name, props in _of_type(template, "AWS::Logs::LogGroup").items():
        group = resources[("aws_cloudwatch_log_group", snake(name))]
        assert props["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert group["retention_in_days"] == "${var.log_retention_days}"
        assert group["name"] == props["LogGroupName"]
    for name, props in _of_type(template, "AWS::EC2::LaunchTemplate").items():
        data = props["LaunchTemplateData"]
        launch = resources[("aws_launch_template", snake(name))]
        metadata = block(launch, "metadata_options")
        assert metadata["http_tokens"] == data["MetadataOptions"]["HttpTokens"]
        hop_limit = data["MetadataOptions"]["HttpPutResponseHopLimit"]
        assert metadata["http_put_response_hop_limit"] == hop_limit
        ebs = block(block(launch, "block_device_mappings"), "ebs")
        assert ebs["encrypted"] is True
    for name, props in _of_type(template, "AWS::CloudWatch::Alarm").items():
        alarm = resources[("aws_cloudwatch_metric_alarm", snake(name))]
        assert alarm["comparison_operator"] == props["ComparisonOperator"]
        assert alarm.get("metric_name") == props.get("MetricName")
        assert len(alarm.get("metric_query", [])) == len(props.get("Metrics", []))


def test_checkov_skips_carry_over_with_their_reasons(
    exported: tuple[dict[str, Any], Module],
) -> None:
    template, module = exported
    resources = module.resources()
    for name, resource in template["Resources"].items():
        skips = resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
        body = resources[(MAPPINGS[resource["Type"]].tf_type, snake(name))]
        comments = [c["value"] for c in body.get("__comments__", [])]
        for skip in skips:
            assert any(c.startswith(f"checkov:skip={skip['id']}:") for c in comments), (
                name,
                skip["id"],
            )


def test_the_cli_writes_the_module_into_a_directory(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from spotq.cli import cli

    app = Path(__file__).resolve().parents[2] / "examples" / "transcribe.py"
    out = tmp_path / "tf"
    args = ["synth", str(app), "--target", "ec2-spot", "--format", "terraform", "-o", str(out)]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["main.tf", "outputs.tf", "variables.tf", "versions.tf"]
    versions = Module.load(out).files["versions.tf"]["terraform"][0]
    assert versions["required_providers"][0]["aws"]["source"] == "hashicorp/aws"
    (tmp_path / "file.tf").write_text("")
    args[-1] = str(tmp_path / "file.tf")
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code != 0 and "writes a directory" in refused.output
