"""AWS Signature Version 4 verification for requests to the queue server.

Verifies both the `Authorization` header form and the presigned query form (`X-Amz-Signature`
in the query string), rebuilding the canonical request the way AWS specifies it for services
other than S3: the URI path normalised and percent-encoded once more, the query parameters
decoded, re-encoded with RFC 3986 rules and sorted, signed header values trimmed.
"""

from __future__ import annotations

import calendar
import dataclasses
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from urllib.parse import quote, unquote_plus

from spotq.sqs.errors import SqsError, sqs_error

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_CLOCK_SKEW_S = 15 * 60
MAX_PRESIGN_EXPIRES_S = 7 * 24 * 3600  # AWS refuses presigned URLs valid for longer
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_AMZ_DATE_RE = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_EXPIRES_RE = re.compile(r"[0-9]{1,12}")  # ASCII digits only (str.isdigit takes others)
_AUTH_PARAM_RE = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]*)")


@dataclasses.dataclass(frozen=True)
class _Signed:
    """What a request claims about its own signature."""

    access_key_id: str
    scope: str  # DATE/REGION/SERVICE/aws4_request
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str
    expires_s: int | None  # presigned requests only


def verify_sigv4(
    method: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Mapping[str, str],
    now_s: float,
) -> None:
    """Raise SqsError unless the request carries a valid SigV4 signature by a known key.

    `path` and `query_string` are the raw (still percent-encoded) request target parts;
    `credentials` maps access key id -> secret access key.
    """
    lower = {name.lower(): value for name, value in headers.items()}
    pairs = _query_pairs(query_string)
    if "authorization" in lower:
        signed = _from_header(lower["authorization"], lower)
    elif any(key == "X-Amz-Signature" for key, _ in pairs):
        signed = _from_query(pairs)
        pairs = [(key, value) for key, value in pairs if key != "X-Amz-Signature"]
    else:
        raise sqs_error("MissingAuthenticationToken", "Request is missing Authentication Token")
    secret = credentials.get(signed.access_key_id)
    if secret is None:
        raise sqs_error(
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    _check_time(signed, now_s)
    payload_hash = _payload_hash(lower, body)
    canonical = _canonical_request(method, path, pairs, lower, signed.signed_headers, payload_hash)
    expected = _signature(secret, signed, canonical)
    # As bytes: compare_digest refuses non-ASCII str, and a signature is the client's text.
    given = signed.signature.encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(expected.encode("ascii"), given):
        raise sqs_error(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )


def _incomplete(message: str) -> SqsError:
    return SqsError("IncompleteSignature", message, code="IncompleteSignature", status=400)


def _from_header(authorization: str, lower: Mapping[str, str]) -> _Signed:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise _incomplete(f"Unsupported authorization algorithm; expected {ALGORITHM}.")
    fields = dict(_AUTH_PARAM_RE.findall(rest))
    for name in ("Credential", "SignedHeaders", "Signature"):
        if not fields.get(name):
            raise _incomplete(f"Authorization header requires '{name}' parameter.")
    amz_date = lower.get("x-amz-date", "")
    if not _AMZ_DATE_RE.fullmatch(amz_date):
        raise _incomplete("Authorization header requires existence of a valid X-Amz-Date header.")
    return _signed(fields["Credential"], fields["SignedHeaders"], fields["Signature"], amz_date)


def _from_query(pairs: list[tuple[str, str]]) -> _Signed:
    params = dict(pairs)
    if params.get("X-Amz-Algorithm") != ALGORITHM:
        raise _incomplete(f"X-Amz-Algorithm must be {ALGORITHM}.")
    for name in ("X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Date", "X-Amz-Expires"):
        if not params.get(name):
            raise _incomplete(f"Presigned request requires the '{name}' parameter.")
    amz_date, expires = params["X-Amz-Date"], params["X-Amz-Expires"]
    if not _AMZ_DATE_RE.fullmatch(amz_date) or not _EXPIRES_RE.fullmatch(expires):
        raise _incomplete("X-Amz-Date or X-Amz-Expires is malformed.")
    if int(expires) > MAX_PRESIGN_EXPIRES_S:
        raise SqsError(
            "AuthorizationQueryParametersError",
            f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGN_EXPIRES_S}",
            code="AuthorizationQueryParametersError",
            status=400,
        )
    signed = _signed(
        params["X-Amz-Credential"],
        params["X-Amz-SignedHeaders"],
        params["X-Amz-Signature"],
        amz_date,
    )
    return dataclasses.replace(signed, expires_s=int(expires))


def _signed(credential: str, signed_headers: str, signature: str, amz_date: str) -> _Signed:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        raise _incomplete(
            "Credential should be scoped to a valid region, service and aws4_request: "
            f"'{credential}'."
        )
    if parts[1] != amz_date[:8]:
        raise sqs_error(
            "SignatureDoesNotMatch",
            f"Credential should be scoped to a valid date: '{parts[1]}' vs '{amz_date[:8]}'.",
        )
    names = tuple(signed_headers.split(";"))
    if "host" not in names:
        raise sqs_error("SignatureDoesNotMatch", "The host header must be signed.")
    return _Signed(parts[0], "/".join(parts[1:]), names, signature, amz_date, None)


def _check_time(signed: _Signed, now_s: float) -> None:
    signed_at_s = calendar.timegm(time.strptime(signed.amz_date, "%Y%m%dT%H%M%SZ"))
    if signed.expires_s is not None:
        if now_s > signed_at_s + signed.expires_s or now_s < signed_at_s - MAX_CLOCK_SKEW_S:
            raise sqs_error("SignatureDoesNotMatch", "Signature expired or not yet valid.")
        return
    if abs(now_s - signed_at_s) > MAX_CLOCK_SKEW_S:
        now_text = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now_s))
        raise sqs_error(
            "SignatureDoesNotMatch",
            f"Signature expired: {signed.amz_date} is now earlier or later than {now_text} "
            "(more than 15 min. apart).",
        )


def _payload_hash(lower: Mapping[str, str], body: bytes) -> str:
    declared = lower.get("x-amz-content-sha256")
    actual = hashlib.sha256(body).hexdigest()
    if declared is None or declared == UNSIGNED_PAYLOAD:
        return declared or actual
    if declared.lower() != actual:
        raise sqs_error(
            "SignatureDoesNotMatch",
            "The provided x-amz-content-sha256 header does not match the request body.",
        )
    return declared


def _query_pairs(query_string: str) -> list[tuple[str, str]]:
    """Decoded (key, value) pairs in order; `+` is a space (botocore sends one), `key` is `key=`."""
    pairs = []
    for item in query_string.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


def _uri_encode(value: str) -> str:
    return quote(value, safe="-_.~")


def _canonical_path(path: str) -> str:
    """Remove dot segments and empty segments, then percent-encode once more (non-S3 rule)."""
    segments: list[str] = []
    for segment in path.split("?", 1)[0].split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    normalized = "/" + "/".join(segments)
    if path.endswith("/") and segments:
        normalized += "/"
    return quote(normalized, safe="/~")


def _canonical_request(
    method: str,
    path: str,
    pairs: list[tuple[str, str]],
    lower: Mapping[str, str],
    signed_headers: tuple[str, ...],
    payload_hash: str,
) -> str:
    query = "&".join(
        f"{key}={value}"
        for key, value in sorted((_uri_encode(k), _uri_encode(v)) for k, v in pairs)
    )
    header_lines = "".join(
        f"{name}:{' '.join(lower.get(name, '').split())}\n" for name in signed_headers
    )
    signed = ";".join(signed_headers)
    return "\n".join(
        [method.upper(), _canonical_path(path), query, header_lines, signed, payload_hash]
    )


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _signature(secret: str, signed: _Signed, canonical_request: str) -> str:
    date, region, service, terminal = signed.scope.split("/")
    key = _hmac(f"AWS4{secret}".encode(), date)
    for part in (region, service, terminal):
        key = _hmac(key, part)
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            signed.amz_date,
            signed.scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
