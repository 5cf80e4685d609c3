"""The app's environment in the synthesized template: container variables and secret references,
the execution role's exact statements, no secret value anywhere, the app's own task-role
statements, an existing queue in place of the created one, and the model artifact's access."""

from __future__ import annotations

import json
from typing import Any

import pytest

from spotq.app import App
from spotq.aws.synth import ScalingEngine, SynthSettings, Target, synth
from spotq.errors import AppError

from .synth_apps import (
    ENV_APP,
    EXISTING_QUEUE_URL,
    KMS_KEY_ARN,
    SECRET_ARN,
    SSM_PARAMETER_ARN,
)

SSM_BY_NAME = {
    "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/"
    "golden/signing-key"
}


def _resources(app: App, target: Target = Target.FARGATE_SPOT, **settings: Any) -> Any:
    return synth(app, target, SynthSettings(**settings))["Resources"]


def _container(resources: Any) -> Any:
    return resources["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]


def _statements(resources: Any, role: str, policy: str) -> list[Any]:
    (document,) = [
        p["PolicyDocument"]
        for p in resources[role]["Properties"]["Policies"]
        if p["PolicyName"] == policy
    ]
    return list(document["Statement"])


def test_container_secrets_are_references_by_arn() -> None:
    container = _container(_resources(ENV_APP))
    assert container["Secrets"] == [
        {"Name": "API_TOKEN", "ValueFrom": SSM_PARAMETER_ARN},
        {"Name": "DB_PASSWORD", "ValueFrom": f"{SECRET_ARN}:password::"},
        {"Name": "SIGNING_KEY", "ValueFrom": SSM_BY_NAME},
    ]
    names = {e["Name"] for e in container["Environment"]}
    assert {"LOG_LEVEL", "FEATURE_FLAGS"} <= names
    assert not names & {"API_TOKEN", "DB_PASSWORD", "SIGNING_KEY"}
    values = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert values["LOG_LEVEL"] == "info"


def test_execution_role_reads_exactly_the_named_secrets() -> None:
    statements = _statements(_resources(ENV_APP), "ExecutionRole", "execution")
    secret_statements = [s for s in statements if s.get("Sid", "").endswith("Secrets")]
    secret_statements += [s for s in statements if s.get("Sid") == "ReadSecretParameters"]
    assert sorted(secret_statements, key=lambda s: s["Sid"]) == [
        {
            "Sid": "DecryptSecrets",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": [KMS_KEY_ARN],
        },
        {
            "Sid": "ReadSecretParameters",
            "Effect": "Allow",
            "Action": "ssm:GetParameters",
            "Resource": [SSM_PARAMETER_ARN, SSM_BY_NAME],
        },
        {
            "Sid": "ReadSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": [SECRET_ARN],  # the secret itself, without the JSON key ECS reads
        },
    ]


def test_no_secret_statements_or_kms_without_secrets() -> None:
    app = App("plain", environment={"A": "1"})
    resources = _resources(app)
    text = json.dumps(resources["ExecutionRole"])
    assert "ssm:" not in text and "secretsmanager:" not in text and "kms:" not in text
    assert "Secrets" not in _container(resources)
    # a key with no secret to decrypt grants nothing
    keyed = App("keyed", secrets_kms_key_arn=KMS_KEY_ARN)
    assert "kms:" not in json.dumps(_resources(keyed)["ExecutionRole"])


def test_secret_values_never_reach_the_template() -> None:
    """The template holds references only: a value written in the app file is refused outright,
    and the error does not repeat it (it would end up in logs)."""
    with pytest.raises(AppError) as caught:
        App("leaky", secrets={"DB_PASSWORD": "hunter2-correct-horse"})
    assert "hunter2" not in str(caught.value)
    template = json.dumps(synth(ENV_APP, Target.EC2_SPOT))
    for env in ("DB_PASSWORD", "API_TOKEN", "SIGNING_KEY"):
        assert f'"Name": "{env}", "Value"' not in template


def test_extra_statements_are_a_separate_task_role_policy() -> None:
    resources = _resources(ENV_APP)
    statements = _statements(resources, "TaskRole", "app")
    assert statements == [
        {
            "Sid": "ReadReferenceData",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": ["arn:aws:s3:::golden-reference-data/*"],
        },
        {
            "Sid": "App1",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem"],
            "Resource": ["arn:aws:dynamodb:us-east-1:123456789012:table/customers"],
        },
    ]
    own = _statements(resources, "TaskRole", "task")
    assert {"ReadModelArtifact", "WorkQueues", "Blobs"} <= {s.get("Sid") for s in own}


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, "administrator"),
        ({"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": ["*"]}, "administrator"),
        ({"Effect": "Allow", "Action": "s3GetObject", "Resource": "*"}, "service:Action"),
        ({"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"}, "Effect"),
        ({"Effect": "Allow", "Action": [], "Resource": "*"}, "non-empty"),
        ({"Effect": "Allow", "Action": "s3:GetObject"}, "Resource"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "bucket/*"}, "not an ARN"),
        ({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}, "NotAction"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Principal": "*"}, "Principal"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Actions": "x"}, "unknown key"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Sid": "no-dash"}, "Sid"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": "x"}, "Condition"),
        ("s3:GetObject", "expected a mapping"),
    ],
)
def test_malformed_statements_are_clear_errors(statement: Any, message: str) -> None:
    with pytest.raises(AppError, match=message):
        App("bad", task_role_statements=[statement])


def test_full_wildcard_only_when_asked() -> None:
    app = App(
        "admin",
        task_role_statements=[{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        task_role_allow_wildcard=True,
    )
    assert _statements(_resources(app), "TaskRole", "app")[0]["Action"] == ["*"]
    # A Deny with wildcards is a restriction, never refused.
    App("deny", task_role_statements=[{"Effect": "Deny", "Action": "*", "Resource": "*"}])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"environment": {"SPOTQ_STACK_CONFIG": "x"}}, "set by spotq"),
        ({"environment": {"1BAD": "x"}}, "not an environment variable name"),
        ({"environment": {"A": 1}}, "expected a string"),
        ({"environment": {"A": "1"}, "secrets": {"A": "ssm:/a"}}, "both"),
        ({"secrets": {"A": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"}}, "full"),
        ({"secrets_kms_key_arn": "alias/mine"}, "KMS key ARN"),
        ({"queue": "orders"}, "queue URL"),
        ({"queue": "https://sqs.us-east-1.amazonaws.com/123456789012/o.fifo"}, "FIFO"),
        ({"model_uri": "https://example.com/model"}, "s3://"),
    ],
)
def test_bad_environment_options_are_clear_errors(options: Any, message: str) -> None:
    with pytest.raises(AppError, match=message):
        App("bad", **options)


@pytest.mark.parametrize("engine", list(ScalingEngine))
def test_existing_queue_is_consumed_not_created(engine: ScalingEngine) -> None:
    template = synth(ENV_APP, Target.EC2_SPOT, SynthSettings(scaling_engine=engine))
    resources = template["Resources"]
    queues = {n for n, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
    # Still created: the high-priority queue (spotq's API submits there) and the DLQ.
    assert queues == {"HighPriorityQueue", "DeadLetterQueue"}
    text = json.dumps(template)
    assert '"JobQueue"' not in text and "${JobQueue" not in text
    arn = "arn:aws:sqs:us-east-1:123456789012:orders"
    (work,) = [
        s for s in _statements(resources, "TaskRole", "task") if s.get("Sid") == "WorkQueues"
    ]
    assert work["Resource"] == [arn, {"Fn::GetAtt": ["HighPriorityQueue", "Arn"]}]
    assert "sqs:ReceiveMessage" in work["Action"] and "sqs:DeleteMessage" in work["Action"]
    assert template["Outputs"]["QueueUrl"]["Value"] == EXISTING_QUEUE_URL
    env = {e["Name"]: e["Value"] for e in _container(resources)["Environment"]}
    stack = json.loads(env["SPOTQ_STACK_CONFIG"]["Fn::Sub"])
    assert stack["work_queue"] == EXISTING_QUEUE_URL
    if engine is ScalingEngine.SPOTQ:
        scaler = resources["ScalerRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        (depth,) = [s for s in scaler["Statement"] if s["Sid"] == "ReadQueueDepth"]
        assert arn in depth["Resource"]
        config = resources["ScalerFunction"]["Properties"]["Environment"]["Variables"]
        assert EXISTING_QUEUE_URL in json.dumps(config)
    (normal,) = [
        m for m in resources["OldestMessageAlarm"]["Properties"]["Metrics"] if m["Id"] == "normal"
    ]
    assert normal["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "QueueName", "Value": "orders"}
    ]


def test_existing_queue_by_arn_gets_a_url_for_the_scaler() -> None:
    app = App("by-arn", queue="arn:aws:sqs:eu-west-1:210987654321:orders")
    template = synth(app, Target.FARGATE_SPOT)
    assert template["Outputs"]["QueueUrl"]["Value"] == {
        "Fn::Sub": "https://sqs.eu-west-1.${AWS::URLSuffix}/210987654321/orders"
    }
    env = _container(template["Resources"])["Environment"]
    stack = json.loads(
        next(e for e in env if e["Name"] == "SPOTQ_STACK_CONFIG")["Value"]["Fn::Sub"]
    )
    assert stack["work_queue"] == "arn:aws:sqs:eu-west-1:210987654321:orders"


def test_model_artifact_read_access_is_that_object_only() -> None:
    own = _statements(_resources(ENV_APP), "TaskRole", "task")
    (model,) = [s for s in own if s.get("Sid") == "ReadModelArtifact"]
    assert model == {
        "Sid": "ReadModelArtifact",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:GetObjectVersion"],
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::golden-models/ranker/model.tar.gz"},
    }
