"""Requests no client should send get a clear 4xx, never a 500 or a silently altered message:
a non-ASCII SigV4 signature, a presigned URL valid for more than a week, invalid UTF-8 in a
query-protocol form."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from spotq.sqs.protocol_query import NAMESPACE
from spotq.sqs.server import RunningSqsServer, SqsServerConfig, start_server

KEY_ID, SECRET = "AKIDSPOTQ", "verysecret"
NS = {"q": NAMESPACE}


@pytest.fixture
def signed_server(tmp_path: Path) -> Iterator[RunningSqsServer]:
    config = SqsServerConfig(port=0, data_dir=tmp_path / "sqs", credentials={KEY_ID: SECRET})
    server = start_server(config)
    try:
        yield server
    finally:
        server.stop()


def _send(request: urllib.request.Request) -> tuple[int, str | None]:
    """(status, query error code) of a request."""
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, None
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    return status, ET.fromstring(body).findtext("q:Error/q:Code", namespaces=NS)


def test_a_non_ascii_signature_is_refused_cleanly(signed_server: RunningSqsServer) -> None:
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={KEY_ID}/{amz_date[:8]}/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=\u00e9\u00e9\u00e9"
    )
    request = urllib.request.Request(
        f"{signed_server.endpoint_url}/",
        data=b"Action=ListQueues&Version=2012-11-05",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Amz-Date": amz_date,
            "Authorization": authorization,
        },
        method="POST",
    )
    status, code = _send(request)
    assert (status, code) == (403, "SignatureDoesNotMatch")


@pytest.mark.parametrize(("expires_s", "allowed"), [(604_800, True), (604_801, False)])
def test_a_presigned_url_may_last_a_week_at_most(
    signed_server: RunningSqsServer, expires_s: int, allowed: bool
) -> None:
    request = AWSRequest(
        method="GET", url=f"{signed_server.endpoint_url}/?Action=ListQueues&Version=2012-11-05"
    )
    SigV4QueryAuth(Credentials(KEY_ID, SECRET), "sqs", "us-east-1", expires=expires_s).add_auth(
        request
    )
    status, code = _send(urllib.request.Request(request.url))
    if allowed:
        assert status == 200
    else:
        assert (status, code) == (400, "AuthorizationQueryParametersError")


@pytest.mark.parametrize("where", ["body", "query string"])
def test_invalid_utf8_in_a_query_form_is_refused(
    sqs_server: RunningSqsServer, sqs_client: Any, where: str
) -> None:
    url = sqs_client.create_queue(QueueName="u")["QueueUrl"]
    form = "Action=SendMessage&Version=2012-11-05&MessageBody=caf%C3%A9%FF"
    if where == "body":
        request = urllib.request.Request(
            url,
            data=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
    else:
        request = urllib.request.Request(f"{url}?{form}", method="GET")
    status, code = _send(request)
    assert (status, code) == (400, "MalformedQueryString")
    assert "Messages" not in sqs_client.receive_message(QueueUrl=url)
