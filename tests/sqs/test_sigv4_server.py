"""A server started with credentials verifies every request's SigV4 signature."""

from __future__ import annotations

import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from spotq.errors import ConfigError
from spotq.sqs.protocol_query import NAMESPACE
from spotq.sqs.server import RunningSqsServer, SqsServerConfig, start_server

KEY_ID, SECRET = "AKIDSPOTQ", "verysecret"


@pytest.fixture
def signed_server(tmp_path: Path) -> Iterator[RunningSqsServer]:
    config = SqsServerConfig(port=0, data_dir=tmp_path / "sqs", credentials={KEY_ID: SECRET})
    server = start_server(config)
    try:
        yield server
    finally:
        server.stop()


def _client(server: RunningSqsServer, key_id: str = KEY_ID, secret: str = SECRET, **kw: Any) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=server.endpoint_url,
        region_name=kw.pop("region", "eu-central-1"),
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, **kw),
        **({"aws_session_token": "tok"} if key_id == KEY_ID else {}),
    )


def _error(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as exc:
        call()
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_correctly_signed_requests_are_served(signed_server: RunningSqsServer) -> None:
    sqs = _client(signed_server)
    url = sqs.create_queue(QueueName="signed")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in messages] == ["hello"]


def test_wrong_secret_is_signature_does_not_match(signed_server: RunningSqsServer) -> None:
    sqs = _client(signed_server, secret="not-it")
    assert _error(sqs.list_queues) == ("SignatureDoesNotMatch", 403)


def test_unknown_key_is_invalid_client_token_id(signed_server: RunningSqsServer) -> None:
    sqs = _client(signed_server, key_id="AKIDSTRANGER")
    assert _error(lambda: sqs.create_queue(QueueName="x")) == ("InvalidClientTokenId", 403)


def test_unsigned_requests_are_refused(signed_server: RunningSqsServer) -> None:
    sqs = _client(signed_server, signature_version=UNSIGNED)
    assert _error(sqs.list_queues) == ("MissingAuthenticationToken", 403)


def test_nothing_happens_for_a_refused_request(signed_server: RunningSqsServer) -> None:
    _error(lambda: _client(signed_server, secret="nope").create_queue(QueueName="sneaky"))
    assert _client(signed_server).list_queues().get("QueueUrls", []) == []


def test_presigned_get_in_the_query_protocol(signed_server: RunningSqsServer) -> None:
    _client(signed_server).create_queue(QueueName="presigned")
    request = AWSRequest(
        method="GET", url=f"{signed_server.endpoint_url}/?Action=ListQueues&Version=2012-11-05"
    )
    SigV4QueryAuth(Credentials(KEY_ID, SECRET), "sqs", "us-east-1", expires=60).add_auth(request)
    with urllib.request.urlopen(request.url, timeout=10) as reply:
        root = ET.fromstring(reply.read())
    urls = [e.text for e in root.iter(f"{{{NAMESPACE}}}QueueUrl")]
    assert len(urls) == 1 and urls[0] is not None and urls[0].endswith("/presigned")

    tampered = request.url.replace("ListQueues", "PurgeQueue")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(tampered, timeout=10)
    assert exc.value.code == 403
    code = ET.fromstring(exc.value.read()).findtext(f"{{{NAMESPACE}}}Error/{{{NAMESPACE}}}Code")
    assert code == "SignatureDoesNotMatch"


def test_non_loopback_bind_needs_credentials(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="host"):
        start_server(SqsServerConfig(host="0.0.0.0", port=0, data_dir=tmp_path))
