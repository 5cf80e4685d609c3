"""The AWS CLI (PyPI awscli) works unchanged against the server."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from spotq.sqs.server import SqsServerConfig, start_server

AWS = Path(sys.executable).parent / "aws"


def _cli(tmp_path: Path, endpoint_url: str, key_id: str = "test", secret: str = "test") -> Any:
    """Run `aws --endpoint-url … sqs ARGS` with the given credentials and no user config."""
    assert AWS.exists(), f"the AWS CLI is not installed at {AWS} (pip install awscli)"
    config, credentials = tmp_path / "aws-config", tmp_path / "aws-credentials"
    config.write_text("")
    credentials.write_text("")
    env = {
        "PATH": str(AWS.parent),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_EC2_METADATA_DISABLED": "true",
    }

    def run(*args: str, expect_ok: bool = True) -> Any:
        argv = [str(AWS), "--endpoint-url", endpoint_url, "--output", "json", "sqs"]
        done = subprocess.run(
            [*argv, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        if not expect_ok:
            return done
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    return run


@pytest.fixture
def aws(tmp_path: Path, sqs_server: Any) -> Any:
    return _cli(tmp_path, sqs_server.endpoint_url)


def test_cli_round_trip(aws: Any) -> None:
    url = aws("create-queue", "--queue-name", "cli-jobs")["QueueUrl"]
    assert url.endswith("/cli-jobs")

    sent = aws(
        "send-message",
        "--queue-url",
        url,
        "--message-body",
        "hello from the cli",
        "--message-attributes",
        '{"kind": {"DataType": "String", "StringValue": "greeting"}}',
    )
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello from the cli").hexdigest()
    assert len(sent["MD5OfMessageAttributes"]) == 32

    attrs = aws("get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "1"
    assert attrs["Attributes"]["QueueArn"].endswith(":cli-jobs")

    received = aws(
        "receive-message",
        "--queue-url",
        url,
        "--attribute-names",
        "All",
        "--message-attribute-names",
        "All",
        "--wait-time-seconds",
        "1",
    )["Messages"]
    assert [m["MessageId"] for m in received] == [sent["MessageId"]]
    assert received[0]["Body"] == "hello from the cli"
    assert received[0]["MessageAttributes"]["kind"]["StringValue"] == "greeting"
    assert received[0]["Attributes"]["ApproximateReceiveCount"] == "1"

    assert (
        aws("delete-message", "--queue-url", url, "--receipt-handle", received[0]["ReceiptHandle"])
        is None
    )
    after = aws(
        "get-queue-attributes",
        "--queue-url",
        url,
        "--attribute-names",
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
    )["Attributes"]
    assert after == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }


def test_cli_reports_aws_error_codes(aws: Any) -> None:
    done = aws("get-queue-url", "--queue-name", "no-such-queue", expect_ok=False)
    assert done.returncode != 0
    assert "NonExistentQueue" in done.stderr or "QueueDoesNotExist" in done.stderr

    done = aws(
        "create-queue",
        "--queue-name",
        "bad-attr",
        "--attributes",
        "VisibilityTimeout=99999",
        expect_ok=False,
    )
    assert done.returncode != 0
    assert "InvalidAttributeValue" in done.stderr


def test_cli_against_a_server_that_verifies_signatures(tmp_path: Path) -> None:
    config = SqsServerConfig(port=0, data_dir=tmp_path / "sqs", credentials={"AKIDCLI": "s3cr3t"})
    with start_server(config) as server:
        good = _cli(tmp_path, server.endpoint_url, "AKIDCLI", "s3cr3t")
        assert good("create-queue", "--queue-name", "signed")["QueueUrl"].endswith("/signed")
        wrong = _cli(tmp_path, server.endpoint_url, "AKIDCLI", "not-the-secret")
        done = wrong("list-queues", expect_ok=False)
        assert done.returncode != 0 and "SignatureDoesNotMatch" in done.stderr
        stranger = _cli(tmp_path, server.endpoint_url, "AKIDOTHER", "s3cr3t")
        done = stranger("list-queues", expect_ok=False)
        assert done.returncode != 0 and "InvalidClientTokenId" in done.stderr
