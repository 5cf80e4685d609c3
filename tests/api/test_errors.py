"""Every documented 4xx, driven through the real API: a clear message, never a 500."""

from __future__ import annotations

from spotq.api.client import JobsClient, encode_multipart

from .conftest import UPLOAD_LIMIT_BYTES, Raw

JSON = {"Content-Type": "application/json"}


def _detail(reply: tuple[int, object]) -> str:
    body = reply[1]
    assert isinstance(body, dict), body
    return str(body["detail"])


def test_bad_json_is_400_and_says_where(raw: Raw) -> None:
    reply = raw.send("POST", "/v1/jobs", b'{"input": {', JSON)
    assert reply[0] == 400
    assert "not valid JSON" in _detail(reply) and "line 1" in _detail(reply)


def test_nan_and_infinity_are_400_not_a_job_that_can_only_die(raw: Raw) -> None:
    for constant in (b"NaN", b"Infinity", b"-Infinity"):
        body = b'{"input": {"x": [1, ' + constant + b"]}}"
        reply = raw.send("POST", "/v1/jobs", body, JSON)
        assert reply[0] == 400, reply
        assert constant.decode().lstrip("-") in _detail(reply) and "JSON" in _detail(reply)
    form, content_type = encode_multipart({"input": '{"x": NaN}'}, "a.txt", b"data")
    reply = raw.send("POST", "/v1/jobs", form, {"Content-Type": content_type})
    assert reply[0] == 400 and "NaN" in _detail(reply), reply


def test_wrong_field_types_are_422(raw: Raw) -> None:
    reply = raw.post_json("/v1/jobs", {"input": [1, 2]})
    assert reply[0] == 422 and "input" in _detail(reply)
    reply = raw.post_json("/v1/jobs", {"input": {}, "colour": "red"})
    assert reply[0] == 422 and "colour" in _detail(reply)
    reply = raw.post_json("/v1/jobs", ["not", "an", "object"])
    assert reply[0] == 422


def test_bad_priority_is_422(raw: Raw) -> None:
    reply = raw.post_json("/v1/jobs", {"input": {}, "priority": "urgent"})
    assert reply[0] == 422 and "priority" in _detail(reply)


def test_unknown_app_is_404(raw: Raw) -> None:
    reply = raw.post_json("/v1/jobs", {"input": {}, "app": "faces"})
    assert reply[0] == 404 and "faces" in _detail(reply)
    reply = raw.post_json("/v1/apps/faces/jobs", {"input": {}})
    assert reply[0] == 404
    assert raw.post_json("/v1/apps/echo/jobs", {"input": {}})[0] == 201


def test_wrong_content_type_is_415(raw: Raw) -> None:
    reply = raw.send("POST", "/v1/jobs", b"input=1", {"Content-Type": "text/plain"})
    assert reply[0] == 415 and "text/plain" in _detail(reply)
    reply = raw.send("POST", "/v1/jobs", b"{}")
    assert reply[0] == 415
    body, content_type = encode_multipart({}, "a.wav", b"x")
    assert raw.send("POST", "/v1/jobs:batch", body, {"Content-Type": content_type})[0] == 415


def test_upload_over_the_limit_is_413_by_declared_length(raw: Raw) -> None:
    body, content_type = encode_multipart({}, "big.wav", b"x" * (UPLOAD_LIMIT_BYTES * 3))
    reply = raw.send("POST", "/v1/jobs", body, {"Content-Type": content_type})
    assert reply[0] == 413 and str(UPLOAD_LIMIT_BYTES) in _detail(reply)


def test_upload_over_the_limit_is_413_while_streaming(raw: Raw) -> None:
    body, content_type = encode_multipart({}, "big.wav", b"x" * (UPLOAD_LIMIT_BYTES * 3))
    reply = raw.send("POST", "/v1/jobs", body, {"Content-Type": content_type}, chunked=True)
    assert reply[0] == 413


def test_file_just_over_the_limit_is_413(raw: Raw) -> None:
    body, content_type = encode_multipart({}, "edge.wav", b"x" * (UPLOAD_LIMIT_BYTES + 1))
    reply = raw.send("POST", "/v1/jobs", body, {"Content-Type": content_type})
    assert reply[0] == 413


def test_bad_multipart_forms_are_4xx(raw: Raw) -> None:
    body, content_type = encode_multipart({"input": "{not json"}, "a.wav", b"x")
    reply = raw.send("POST", "/v1/jobs", body, {"Content-Type": content_type})
    assert reply[0] == 400 and "input" in _detail(reply)
    body, content_type = encode_multipart({"extra": "1"}, "a.wav", b"x")
    reply = raw.send("POST", "/v1/jobs", body, {"Content-Type": content_type})
    assert reply[0] == 422 and "extra" in _detail(reply)
    body, content_type = encode_multipart({"priority": "soon"}, "a.wav", b"x")
    assert raw.send("POST", "/v1/jobs", body, {"Content-Type": content_type})[0] == 422
    form_without_file = (
        b'--b\r\nContent-Disposition: form-data; name="input"\r\n\r\n{}\r\n--b--\r\n'
    )
    reply = raw.send(
        "POST", "/v1/jobs", form_without_file, {"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert reply[0] == 422 and "file" in _detail(reply)
    reply = raw.send("POST", "/v1/jobs", b"garbage", {"Content-Type": "multipart/form-data"})
    assert reply[0] == 400


def test_unknown_job_is_404(raw: Raw) -> None:
    assert raw.send("GET", "/v1/jobs/no-such-job")[0] == 404
    assert raw.send("GET", "/v1/jobs/no-such-job/result")[0] == 404


def test_result_of_an_unfinished_job_is_409(raw: Raw, client: JobsClient) -> None:
    job = client.submit({})
    reply = raw.send("GET", f"/v1/jobs/{job['id']}/result")
    assert reply[0] == 409 and "queued" in _detail(reply)


def test_bad_query_parameters_are_422(raw: Raw) -> None:
    assert raw.send("GET", "/v1/jobs?state=lost")[0] == 422
    assert raw.send("GET", "/v1/jobs?limit=0")[0] == 422
    assert raw.send("GET", "/v1/jobs?offset=-1")[0] == 422
    assert raw.send("GET", "/v1/jobs?limit=ten")[0] == 422


def test_batch_errors(raw: Raw) -> None:
    assert raw.post_json("/v1/jobs:batch", {"jobs": "nope"})[0] == 422
    assert raw.post_json("/v1/jobs:batch", {"jobs": [{}] * 1001})[0] == 422
    assert raw.send("POST", "/v1/jobs:batch", b"[", JSON)[0] == 400
