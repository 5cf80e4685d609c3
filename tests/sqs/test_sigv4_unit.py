"""SigV4 verification against signatures produced by botocore's own signers."""

from __future__ import annotations

import hashlib
import json
import time
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from spotq.sqs.errors import SqsError
from spotq.sqs.sigv4 import verify_sigv4

KEY_ID = "AKIDSPOTQTEST"
SECRET = "s3cr3t/with+odd=chars"
CREDENTIALS = {KEY_ID: SECRET, "OTHERKEY": "other-secret"}
HOST = "127.0.0.1:9324"


def _signed_request(
    request: AWSRequest,
    *,
    secret: str = SECRET,
    key_id: str = KEY_ID,
    region: str = "us-east-1",
    token: str | None = None,
    unsigned_payload: bool = False,
) -> AWSRequest:
    if unsigned_payload:
        request.context["payload_signing_enabled"] = False
    SigV4Auth(Credentials(key_id, secret, token), "sqs", region).add_auth(request)
    return request


def _verify(request: AWSRequest, *, now_s: float | None = None, body: bytes | None = None) -> None:
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    headers = {name: str(value) for name, value in prepared.headers.items()}
    headers["Host"] = parts.netloc  # what the HTTP client puts on the wire
    raw_body = prepared.body if body is None else body
    if isinstance(raw_body, str):
        raw_body = raw_body.encode()
    verify_sigv4(
        prepared.method,
        parts.path or "/",
        parts.query,
        headers,
        raw_body or b"",
        CREDENTIALS,
        time.time() if now_s is None else now_s,
    )


def _json_request(payload: dict[str, object] | None = None) -> AWSRequest:
    return AWSRequest(
        method="POST",
        url=f"http://{HOST}/",
        data=json.dumps(payload or {"QueueName": "jobs"}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AmazonSQS.CreateQueue",
        },
    )


def _code(exc: pytest.ExceptionInfo[SqsError]) -> str:
    return exc.value.code


def test_json_post_signed_by_botocore_is_accepted() -> None:
    _verify(_signed_request(_json_request()))


def test_session_token_and_other_region_are_accepted() -> None:
    _verify(_signed_request(_json_request(), token="session-token", region="eu-west-3"))


def test_unsigned_payload_header_is_honoured() -> None:
    request = _signed_request(_json_request(), unsigned_payload=True)
    assert request.headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
    # The body is not covered by the signature, so a different body still verifies.
    _verify(request, body=b'{"QueueName": "other"}')


def test_declared_content_sha256_must_match_the_body() -> None:
    body = b'{"QueueName": "jobs"}'
    request = _json_request()
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    request = _signed_request(request)
    _verify(request)
    with pytest.raises(SqsError) as exc:
        _verify(request, body=b'{"QueueName": "evil"}')
    assert _code(exc) == "SignatureDoesNotMatch"


def test_tampered_body_is_rejected() -> None:
    request = _signed_request(_json_request())
    with pytest.raises(SqsError) as exc:
        _verify(request, body=b'{"QueueName": "evil"}')
    assert _code(exc) == "SignatureDoesNotMatch"
    assert exc.value.status == 403


def test_tampered_signed_header_is_rejected() -> None:
    request = _signed_request(_json_request())
    request.headers.replace_header("X-Amz-Target", "AmazonSQS.DeleteQueue")
    with pytest.raises(SqsError) as exc:
        _verify(request)
    assert _code(exc) == "SignatureDoesNotMatch"


def test_wrong_secret_is_signature_does_not_match() -> None:
    with pytest.raises(SqsError) as exc:
        _verify(_signed_request(_json_request(), secret="not-the-secret"))
    assert (_code(exc), exc.value.status) == ("SignatureDoesNotMatch", 403)


def test_unknown_key_is_invalid_client_token_id() -> None:
    with pytest.raises(SqsError) as exc:
        _verify(_signed_request(_json_request(), key_id="AKIDUNKNOWN"))
    assert (_code(exc), exc.value.status) == ("InvalidClientTokenId", 403)


def test_no_authentication_at_all() -> None:
    with pytest.raises(SqsError) as exc:
        _verify(_json_request())
    assert (_code(exc), exc.value.status) == ("MissingAuthenticationToken", 403)


@pytest.mark.parametrize("skew_s", [-16 * 60, 16 * 60])
def test_clock_skew_beyond_15_minutes_is_rejected(skew_s: float) -> None:
    request = _signed_request(_json_request())
    with pytest.raises(SqsError) as exc:
        _verify(request, now_s=time.time() + skew_s)
    assert _code(exc) == "SignatureDoesNotMatch"
    assert "expired" in exc.value.message


@pytest.mark.parametrize("skew_s", [-14 * 60, 14 * 60])
def test_clock_skew_within_15_minutes_is_accepted(skew_s: float) -> None:
    _verify(_signed_request(_json_request()), now_s=time.time() + skew_s)


def test_get_with_awkward_query_characters() -> None:
    params = {
        "Action": "SendMessage",
        "QueueUrl": "http://127.0.0.1:9324/000000000000/q",
        "MessageBody": "a b+c/d~e*f!g'h(i)j é ✓ %20 &x=y",
        "Empty": "",
    }
    request = AWSRequest(method="GET", url=f"http://{HOST}/000000000000/q", params=params)
    _verify(_signed_request(request))


def test_raw_query_string_in_url_is_canonicalised() -> None:
    url = f"http://{HOST}/?Version=2012-11-05&Action=ListQueues&QueueNamePrefix=a%2Fb&Flag"
    _verify(_signed_request(AWSRequest(method="GET", url=url)))


@pytest.mark.parametrize(
    "path", ["/000000000000/my-queue", "/000000000000/a%20b", "/x/./y/../000000000000/q", "//a//b/"]
)
def test_paths_are_normalised_and_double_encoded(path: str) -> None:
    request = AWSRequest(method="POST", url=f"http://{HOST}{path}", data=b"Action=ListQueues")
    _verify(_signed_request(request))


def test_presigned_query_form_is_accepted_and_expires() -> None:
    url = f"http://{HOST}/?Action=ListQueues&Version=2012-11-05"
    request = AWSRequest(method="GET", url=url)
    SigV4QueryAuth(Credentials(KEY_ID, SECRET), "sqs", "us-east-1", expires=60).add_auth(request)
    assert "X-Amz-Signature=" in request.url
    _verify(request)
    with pytest.raises(SqsError) as exc:
        _verify(request, now_s=time.time() + 120)
    assert _code(exc) == "SignatureDoesNotMatch"


def test_presigned_query_form_with_wrong_secret() -> None:
    request = AWSRequest(method="GET", url=f"http://{HOST}/?Action=ListQueues")
    SigV4QueryAuth(Credentials(KEY_ID, "wrong"), "sqs", "us-east-1").add_auth(request)
    with pytest.raises(SqsError) as exc:
        _verify(request)
    assert _code(exc) == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS4-HMAC-SHA1 Credential=x",
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKIDSPOTQTEST/20250101/us-east-1/sqs, "
        "SignedHeaders=host, Signature=00",
        "garbage",
        "",
    ],
)
def test_malformed_authorization_headers_get_a_4xx(authorization: str) -> None:
    headers = {"Host": HOST, "Authorization": authorization, "X-Amz-Date": "20250101T000000Z"}
    with pytest.raises(SqsError) as exc:
        verify_sigv4("POST", "/", "", headers, b"", CREDENTIALS, 1_735_689_600.0)
    assert 400 <= exc.value.status < 500


def test_host_header_must_be_signed() -> None:
    request = _signed_request(_json_request())
    auth = request.headers["Authorization"].replace("SignedHeaders=", "SignedHeaders=x-")
    request.headers.replace_header("Authorization", auth)
    with pytest.raises(SqsError) as exc:
        _verify(request)
    assert _code(exc) == "SignatureDoesNotMatch"
