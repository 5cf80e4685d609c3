"""spotq.app_env: references to secrets, queues and model artifacts, parsed once and checked."""

from __future__ import annotations

import pytest

from spotq.app_env import QueueRef, SecretStore, parse_model, parse_queue, parse_secrets
from spotq.errors import AppError


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        (
            "https://sqs.eu-west-1.amazonaws.com/123456789012/orders",
            QueueRef("orders", "https://sqs.eu-west-1.amazonaws.com/123456789012/orders",
                     "123456789012", "eu-west-1", "aws"),
        ),
        (
            "https://eu-west-1.queue.amazonaws.com/123456789012/orders",
            QueueRef("orders", "https://eu-west-1.queue.amazonaws.com/123456789012/orders",
                     "123456789012", "eu-west-1", "aws"),
        ),
        (
            "arn:aws-cn:sqs:cn-north-1:123456789012:orders",
            QueueRef("orders", None, "123456789012", "cn-north-1", "aws-cn"),
        ),
        (  # an emulator or the embedded server: region and partition are the stack's own
            "http://127.0.0.1:9324/123456789012/orders",
            QueueRef("orders", "http://127.0.0.1:9324/123456789012/orders", "123456789012",
                     None, None),
        ),
    ],
)  # fmt: skip
def test_queue_references(reference: str, expected: QueueRef) -> None:
    assert parse_queue(reference) == expected


def test_queue_arn_and_url_templates() -> None:
    local = parse_queue("http://127.0.0.1:9324/123456789012/orders")
    assert local is not None
    assert local.arn_template == "arn:${AWS::Partition}:sqs:${AWS::Region}:123456789012:orders"
    by_arn = parse_queue("arn:aws:sqs:us-east-2:123456789012:orders")
    assert by_arn is not None
    assert by_arn.url_template == "https://sqs.us-east-2.${AWS::URLSuffix}/123456789012/orders"


def test_secret_references() -> None:
    refs = parse_secrets(
        {
            "B": "ssm:plain-name",
            "A": "arn:aws:secretsmanager:us-east-1:123456789012:secret:a/b-XyZ123",
        }
    )
    assert [(r.env_name, r.store, r.by_name) for r in refs] == [
        ("A", SecretStore.SECRETS_MANAGER, False),
        ("B", SecretStore.SSM, True),
    ]
    with pytest.raises(AppError, match="not an SSM parameter name"):
        parse_secrets({"A": "ssm:has space"})


def test_model_references() -> None:
    model = parse_model("s3://my-models/a/b.tar.gz")
    assert model is not None and (model.bucket, model.key) == ("my-models", "a/b.tar.gz")
    for bad in ("s3://my-models", "s3://Bad_Bucket/x", "s3://my-models/*.bin"):
        with pytest.raises(AppError, match="model_uri"):
            parse_model(bad)
