"""Fixtures for AWS-mode tests: a real moto server on loopback, credentials that cannot reach AWS.

`moto_server` (session scope: one server per xdist worker) is shared with the synth/deploy tests:
use it, and `aws_env` to point boto3 at it, rather than starting another. Tests isolate themselves
by unique resource names (`unique_name`), never by resetting the server.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from spotq.aws.dynamo_schema import TTL_ATTR, create_table_kwargs
from spotq.aws.session import AwsConfig, make_client
from spotq.stack import StackConfig

REGION = "us-east-1"
_READY_RE = re.compile(r"Running on (http://127\.0\.0\.1:\d+)")
_START_TIMEOUT_S = 30.0


def _moto_command() -> list[str]:
    script = Path(sys.executable).with_name("moto_server")
    if script.exists():
        return [str(script), "-H", "127.0.0.1", "-p", "0"]
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"]


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """Start moto server on a free loopback port (port 0; the URL is read from its banner)."""
    proc = subprocess.Popen(
        _moto_command(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
    )
    assert proc.stderr is not None
    url = None
    deadline = time.monotonic() + _START_TIMEOUT_S
    for line in proc.stderr:
        match = _READY_RE.search(line)
        if match:
            url = match.group(1)
            break
        if time.monotonic() > deadline:
            break
    if url is None:
        proc.kill()
        pytest.fail(f"moto server did not start (exit code {proc.poll()})")
    _drain_in_background(proc)
    _wait_ready(url)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _drain_in_background(proc: subprocess.Popen[str]) -> None:
    """Keep reading moto's request log so its stderr pipe never fills and blocks it."""
    import threading

    def drain() -> None:
        assert proc.stderr is not None
        for _ in proc.stderr:
            pass

    threading.Thread(target=drain, name="moto-log-drain", daemon=True).start()


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"moto server at {url} never answered")


@pytest.fixture
def aws_env(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> AwsConfig:
    """Point boto3 (this process and any child) at moto with dummy credentials."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    # Never let a developer's profile or IMDS leak into a test.
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return AwsConfig(region=REGION, endpoint_url=moto_server)


@pytest.fixture
def unique_name() -> str:
    """A name no other test on the shared moto server uses (lowercase: valid for S3 too)."""
    return f"spotq-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def s3_bucket(aws_env: AwsConfig, unique_name: str) -> str:
    """A fresh bucket on moto; returns its name."""
    make_client("s3", aws_env).create_bucket(Bucket=unique_name)
    return unique_name


@pytest.fixture
def dynamo_table(aws_env: AwsConfig, unique_name: str) -> str:
    """A fresh job table on moto, built from spotq's own schema; returns its name."""
    client = make_client("dynamodb", aws_env)
    client.create_table(**create_table_kwargs(unique_name))
    client.update_time_to_live(
        TableName=unique_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTR},
    )
    return unique_name


@pytest.fixture
def aws_stack(
    aws_env: AwsConfig, moto_server: str, s3_bucket: str, dynamo_table: str, unique_name: str
) -> StackConfig:
    """An AWS-mode stack on moto: SQS at moto's URL, blobs in S3, job state in DynamoDB. The queue
    prefix is unique so tests sharing one moto server never see each other's queues."""
    return StackConfig(
        app="ecsdemo",
        sqs_endpoint_url=moto_server,
        region=REGION,
        blob_url=f"s3://{s3_bucket}/ecsdemo",
        jobs_url=f"dynamodb://{dynamo_table}",
        queue_prefix=f"{unique_name}-",
        manage_queues=False,  # as deployed: CloudFormation owns the queues
    )
