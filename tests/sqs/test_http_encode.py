"""encode_response writes the status line, Content-Length, the headers in order and the body."""

from __future__ import annotations

import pytest

from spotq.sqs.http import HttpResponse, encode_response


def _reference(response: HttpResponse, keep_alive: bool) -> bytes:
    from http import HTTPStatus

    reasons = {status.value: status.phrase for status in HTTPStatus}
    lines = [
        f"HTTP/1.1 {response.status} {reasons.get(response.status, 'Unknown')}",
        f"Content-Length: {len(response.body)}",
        *(f"{name}: {value}" for name, value in response.headers),
    ]
    if not keep_alive:
        lines.append("Connection: close")
    return "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + response.body


@pytest.mark.parametrize("keep_alive", [True, False])
@pytest.mark.parametrize(
    "response",
    [
        HttpResponse(200, b'{"a":1}', [("Content-Type", "application/x-amz-json-1.0")]),
        HttpResponse(400, b"", [("x-amzn-RequestId", "r"), ("x-amzn-query-error", "C;Sender")]),
        HttpResponse(413, b"too large", []),
        HttpResponse(599, b"odd", [("X", "\xe9")]),
    ],
)
def test_the_head_is_as_http_1_1_frames_it(response: HttpResponse, keep_alive: bool) -> None:
    assert encode_response(response, keep_alive) == _reference(response, keep_alive)
