"""Fixtures for the SQS tests: a boto3-style client of the running server for each protocol."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.config import Config

from spotq.sqs.protocol_query import API_VERSION, query_model_dict


def protocol_client(
    endpoint_url: str, protocol: str, data_dir: Path, region: str = "us-east-1"
) -> Any:
    """A botocore SQS client speaking `protocol` ("json" or "query") to `endpoint_url`."""
    session = botocore.session.get_session()
    if protocol == "query":
        # A botocore data directory whose SQS model speaks the query protocol.
        model_dir = data_dir / "sqs" / API_VERSION
        model_dir.mkdir(parents=True, exist_ok=True)
        (model_dir / "service-2.json").write_text(json.dumps(query_model_dict()))
        session.get_component("data_loader").search_paths.insert(0, str(data_dir))
    client = session.create_client(
        "sqs",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )
    assert client.meta.service_model.protocol == protocol
    return client


@pytest.fixture(params=["json", "query"])
def client(request: pytest.FixtureRequest, sqs_server: Any, tmp_path: Path) -> Any:
    """A client of `sqs_server`, once per protocol."""
    return protocol_client(sqs_server.endpoint_url, request.param, tmp_path / "botocore-data")


@pytest.fixture
def client_in(sqs_server: Any, tmp_path: Path) -> Callable[[str, str], Any]:
    """`client_in(protocol, region)`: a client of `sqs_server` signing for `region`."""

    def make(protocol: str, region: str) -> Any:
        return protocol_client(sqs_server.endpoint_url, protocol, tmp_path / "data", region)

    return make
