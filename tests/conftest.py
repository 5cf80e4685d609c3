"""Shared fixtures: real services on 127.0.0.1, free ports, per-test data dirs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from spotq.sqs.server import RunningSqsServer, SqsServerConfig, start_server


@pytest.fixture
def sqs_server(tmp_path: Path) -> Iterator[RunningSqsServer]:
    """The embedded SQS server on a free port with its own data dir."""
    server = start_server(SqsServerConfig(port=0, data_dir=tmp_path / "sqs"))
    try:
        yield server
    finally:
        server.stop()


def make_sqs_client(endpoint_url: str) -> Any:
    """A boto3 SQS client for the embedded server (dummy credentials, us-east-1, no retries)."""
    return boto3.client(
        "sqs",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=60),
    )


@pytest.fixture
def sqs_client(sqs_server: RunningSqsServer) -> Any:
    """A boto3 SQS client pointed at `sqs_server`."""
    return make_sqs_client(sqs_server.endpoint_url)
