"""POST /v1/predict on a real `spotq serve` process: batching, uploads, errors, auth, shedding."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from .conftest import SLOW_ECHO, Served, http, metric, predict, start_serve


def test_concurrent_requests_share_batches_and_each_gets_its_own_result(
    echo_server: Served,
) -> None:
    calls_before = metric(echo_server.url, "spotq_serve_batch_size_count")
    with ThreadPoolExecutor(24) as pool:
        replies = list(pool.map(lambda i: predict(echo_server.url, {"input": {"i": i}}), range(24)))
    assert [r[0] for r in replies] == [200] * 24
    assert [r[2]["result"]["echo"] for r in replies] == [{"i": i} for i in range(24)]  # type: ignore[index]
    sizes = [int(r[1]["x-spotq-batch-size"]) for r in replies]
    assert max(sizes) > 1 and max(sizes) <= 8  # batched, never over the app's batch_size
    assert metric(echo_server.url, "spotq_serve_batch_size_count") - calls_before < 24


def test_a_file_upload_reaches_the_handler(echo_server: Served) -> None:
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"\x00" * 1000
        + (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="input"\r\n\r\n{{"k": 1}}'
            f"\r\n--{boundary}--\r\n"
        ).encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    status, _, reply = http(echo_server.url, "POST", "/v1/predict", body, headers)
    assert status == 200
    assert reply["result"] == {"echo": {"k": 1}, "batch": 1, "file_bytes": 1000}  # type: ignore[index]


def test_errors_follow_the_job_api_table_and_never_500(echo_server: Served) -> None:
    url = echo_server.url
    json_header = {"Content-Type": "application/json"}
    cases = [
        (http(url, "POST", "/v1/predict", b"{not json", json_header), 400, "BadRequest"),
        (predict(url, {"input": {}, "nope": 1}), 422, "InvalidInput"),
        (predict(url, {"input": [1, 2]}), 422, "InvalidInput"),
        (
            http(url, "POST", "/v1/predict", b"x", {"Content-Type": "text/plain"}),
            415,
            "UnsupportedMediaType",
        ),
        (predict(url, {"input": {}, "app": "other"}), 404, "UnknownApp"),
        (predict(url, {"input": {"reject": True}}), 422, "Rejected"),
    ]
    for (status, _, body), want_status, want_error in cases:
        assert (status, body["error"]) == (want_status, want_error), body  # type: ignore[index]
        assert body["detail"]  # type: ignore[index]


def test_a_crashing_job_fails_alone_and_its_batch_mates_succeed(echo_server: Served) -> None:
    inputs = [{"crash": True}] + [{"i": i} for i in range(7)]
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda value: predict(echo_server.url, {"input": value}), inputs))
    assert replies[0][0] == 500 and replies[0][2]["error"] == "HandlerError"  # type: ignore[index]
    assert [r[0] for r in replies[1:]] == [200] * 7
    assert predict(echo_server.url, {"input": {"after": 1}})[0] == 200


def test_oversized_bodies_get_413() -> None:
    served = start_serve(SLOW_ECHO, "--max-json-bytes", "1000", env={"SLOW_ECHO_CALL_S": "0"})
    try:
        status, _, body = predict(served.url, {"input": {"text": "x" * 2000}})
        assert (status, body["error"]) == (413, "PayloadTooLarge")  # type: ignore[index]
        assert predict(served.url, {"input": {"ok": 1}})[0] == 200
    finally:
        assert served.stop() == 0


def test_requests_that_cannot_meet_the_budget_are_shed_with_retry_after() -> None:
    env = {"SLOW_ECHO_CALL_S": "0.3", "SLOW_ECHO_BUDGET_MS": "700"}
    served = start_serve(SLOW_ECHO, env=env)
    try:
        predict(served.url, {"input": {"warm": 1}})  # one call teaches the batcher its cost
        with ThreadPoolExecutor(64) as pool:
            replies = list(pool.map(lambda i: predict(served.url, {"input": {"i": i}}), range(64)))
        statuses = sorted({r[0] for r in replies})
        assert statuses == [200, 503], statuses
        shed = [r for r in replies if r[0] == 503]
        assert all(r[2]["error"] == "Overloaded" for r in shed)  # type: ignore[index]
        assert all(int(r[1]["retry-after"]) >= 1 for r in shed)
        assert metric(served.url, "spotq_serve_shed_requests_total") == len(shed)
        assert predict(served.url, {"input": {"after": 1}})[0] == 200  # and it keeps serving
    finally:
        assert served.stop() == 0


def test_health_is_up_while_loading_and_ready_only_after() -> None:
    import json
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "spotq.cli", "serve", str(SLOW_ECHO), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**__import__("os").environ, "SLOW_ECHO_LOAD_S": "3"},
    )
    assert proc.stdout is not None
    served = Served(proc, json.loads(proc.stdout.readline())["url"])
    try:
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                status, _, _ = http(served.url, "GET", "/healthz")
                break
            except OSError:
                time.sleep(0.05)
        assert status == 200
        status, _, body = http(served.url, "GET", "/readyz")
        assert (status, body["error"]) == (503, "NotReady")  # type: ignore[index]
        assert predict(served.url, {"input": {}})[0] == 503
    finally:
        assert served.stop() == 0
        proc.stdout.close()


def test_off_loopback_needs_a_key_and_with_one_every_route_but_health_needs_it() -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "spotq.cli", "serve", str(SLOW_ECHO), "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "API key is required" in refused.stderr
    served = start_serve(SLOW_ECHO, "--api-key", "s3cret", env={"SLOW_ECHO_CALL_S": "0"})
    try:
        assert http(served.url, "GET", "/healthz")[0] == 200
        assert http(served.url, "GET", "/readyz")[0] == 200  # load balancers probe without keys
        status, _, body = predict(served.url, {"input": {}})
        assert (status, body["error"]) == (401, "Unauthorized")  # type: ignore[index]
        assert http(served.url, "GET", "/metrics")[0] == 401
        assert predict(served.url, {"input": {}}, Authorization="Bearer s3cret")[0] == 200
    finally:
        assert served.stop() == 0
