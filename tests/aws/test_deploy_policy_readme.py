"""The README's IAM policy for the deploying user covers what `spotq deploy`/`destroy` call and
every resource type the templates hold, and stays scoped (no "*" actions, no admin)."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import pytest

from spotq.aws.synth import ScalingEngine, SynthSettings, Target, synth

from .synth_apps import APPS

README = Path(__file__).resolve().parents[2] / "README.md"
# What CloudFormation calls, with the deployer's credentials, to create and delete each type.
NEEDED: dict[str, list[str]] = {
    "AWS::SQS::Queue": ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes"],
    "AWS::S3::Bucket": ["s3:CreateBucket", "s3:PutEncryptionConfiguration",
                        "s3:PutBucketPublicAccessBlock", "s3:PutBucketVersioning",
                        "s3:PutLifecycleConfiguration", "s3:PutBucketOwnershipControls"],
    "AWS::S3::BucketPolicy": ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
    "AWS::DynamoDB::Table": ["dynamodb:CreateTable", "dynamodb:DescribeTable",
                             "dynamodb:UpdateTimeToLive", "dynamodb:UpdateContinuousBackups"],
    "AWS::IAM::Role": ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRole", "iam:PassRole"],
    "AWS::IAM::InstanceProfile": ["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"],
    "AWS::Logs::LogGroup": ["logs:CreateLogGroup", "logs:PutRetentionPolicy",
                            "logs:DeleteLogGroup"],
    "AWS::CloudWatch::Alarm": ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"],
    "AWS::CloudWatch::Dashboard": ["cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"],
    "AWS::ECS::Cluster": ["ecs:CreateCluster", "ecs:DeleteCluster"],
    "AWS::ECS::TaskDefinition": ["ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition"],
    "AWS::ECS::Service": ["ecs:CreateService", "ecs:UpdateService", "ecs:DeleteService"],
    "AWS::ECS::CapacityProvider": ["ecs:CreateCapacityProvider", "ecs:DeleteCapacityProvider"],
    "AWS::ECS::ClusterCapacityProviderAssociations": ["ecs:PutClusterCapacityProviders"],
    "AWS::EC2::SecurityGroup": ["ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup",
                                "ec2:AuthorizeSecurityGroupEgress"],
    "AWS::EC2::LaunchTemplate": ["ec2:CreateLaunchTemplate", "ec2:DeleteLaunchTemplate"],
    "AWS::AutoScaling::AutoScalingGroup": ["autoscaling:CreateAutoScalingGroup",
                                           "autoscaling:DeleteAutoScalingGroup",
                                           "ec2:RunInstances"],
    "AWS::ApplicationAutoScaling::ScalableTarget": [
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:DeregisterScalableTarget",
    ],
    "AWS::ApplicationAutoScaling::ScalingPolicy": ["application-autoscaling:PutScalingPolicy",
                                                   "application-autoscaling:DeleteScalingPolicy"],
    # CloudFormation reads the code zip from the asset bucket with the deployer's credentials.
    "AWS::Lambda::Function": ["lambda:CreateFunction", "lambda:DeleteFunction",
                              "lambda:GetFunction", "lambda:PutFunctionConcurrency",
                              "lambda:UpdateFunctionCode", "s3:GetObject"],
    "AWS::Scheduler::Schedule": ["scheduler:CreateSchedule", "scheduler:DeleteSchedule",
                                 "scheduler:GetSchedule"],
}  # fmt: skip
# What `spotq deploy` itself calls to put the scaler's code zip in the asset bucket.
ASSET_CALLS = ["s3:CreateBucket", "s3:PutBucketPublicAccessBlock", "s3:PutEncryptionConfiguration",
               "s3:PutObject", "s3:GetObject", "s3:ListBucket"]  # fmt: skip
# The CloudFormation API calls spotq.aws.deploy makes.
DEPLOY_CALLS = [
    "CreateChangeSet", "DescribeChangeSet", "ExecuteChangeSet", "DeleteChangeSet",
    "DescribeStacks", "DescribeStackEvents", "ListStackResources", "DeleteStack", "GetTemplate",
]  # fmt: skip
# What `spotq destroy` calls to lift scale-in protection from an EC2 target's hosts.
DESTROY_CALLS = ["autoscaling:DescribeAutoScalingGroups", "autoscaling:SetInstanceProtection"]


@pytest.fixture(scope="module")
def allowed() -> list[str]:
    text = README.read_text()
    section = text[text.index("## Deploy to AWS") :]
    match = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert match, "no JSON policy in the README's Deploy to AWS section"
    policy: dict[str, Any] = json.loads(match.group(1))
    actions: list[str] = []
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        found = statement["Action"]
        actions.extend([found] if isinstance(found, str) else found)
    return actions


def _covered(action: str, allowed: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(action, pattern) for pattern in allowed)


def test_policy_grants_no_service_wide_wildcards(allowed: list[str]) -> None:
    assert all(not a.endswith(":*") and a != "*" for a in allowed)


def test_policy_covers_the_deploy_calls(allowed: list[str]) -> None:
    assert [c for c in DEPLOY_CALLS if not _covered(f"cloudformation:{c}", allowed)] == []
    assert _covered("ssm:GetParameters", allowed)  # resolving the public AMI parameter
    assert [c for c in ASSET_CALLS if not _covered(c, allowed)] == []
    assert [c for c in DESTROY_CALLS if not _covered(c, allowed)] == []


@pytest.mark.parametrize("engine", list(ScalingEngine), ids=lambda e: e.value)
@pytest.mark.parametrize("target", list(Target), ids=lambda t: t.value)
def test_policy_covers_every_resource_type(
    target: Target, engine: ScalingEngine, allowed: list[str]
) -> None:
    template = synth(APPS[target], target, SynthSettings(scaling_engine=engine))
    types = {resource["Type"] for resource in template["Resources"].values()}
    unknown = sorted(types - set(NEEDED))
    assert unknown == [], (
        f"add the IAM actions these types need to NEEDED and the README: {unknown}"
    )
    missing = sorted({a for t in types for a in NEEDED[t] if not _covered(a, allowed)})
    assert missing == []
