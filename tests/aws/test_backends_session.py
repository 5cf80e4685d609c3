"""Client configuration: region and endpoints come from config or the standard chain, never code."""

from __future__ import annotations

import pytest

from spotq.aws.session import AwsConfig, make_client
from spotq.errors import ConfigError
from spotq.stack import StackConfig
from spotq.storage.factory import open_blob_store, open_job_store


def test_specific_endpoint_beats_the_shared_one() -> None:
    aws = AwsConfig(endpoint_url="http://127.0.0.1:1", s3_endpoint_url="http://127.0.0.1:2")
    assert aws.endpoint_for("s3") == "http://127.0.0.1:2"
    assert aws.endpoint_for("dynamodb") == "http://127.0.0.1:1"
    assert AwsConfig().endpoint_for("sqs") is None


def test_stack_config_supplies_region_and_sqs_endpoint() -> None:
    stack = StackConfig(app="demo", sqs_endpoint_url="http://127.0.0.1:9", region="eu-west-1")
    aws = AwsConfig.from_stack(stack)
    assert (aws.region, aws.endpoint_for("sqs"), aws.endpoint_for("s3")) == (
        "eu-west-1",
        "http://127.0.0.1:9",
        None,
    )
    client = make_client("sqs", aws)
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.endpoint_url == "http://127.0.0.1:9"


def test_no_region_anywhere_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    with pytest.raises(ConfigError, match="region"):
        make_client("dynamodb", AwsConfig())
    with pytest.raises(ConfigError, match="region"):
        open_job_store("dynamodb://some-table")


def test_service_specific_environment_endpoints_reach_moto(
    moto_server: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the S3 variable points at moto: proves the factory path honours it.
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_server)
    store = open_blob_store(f"s3://{s3_bucket}/p")
    store.put("results/x.json", b"{}")
    assert store.get("results/x.json") == b"{}"
