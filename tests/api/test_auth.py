"""API keys: required off loopback; with one, every route but /healthz needs the bearer token."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotq.api.settings import ApiSettings
from spotq.errors import ConfigError
from spotq.net import is_loopback
from spotq.stack import StackConfig

from .conftest import Raw, start_stack


def test_a_non_loopback_bind_without_a_key_is_refused(tmp_path: Path) -> None:
    stack = StackConfig(app="echo", sqs_endpoint_url=None)
    with pytest.raises(ConfigError, match="API key is required"):
        ApiSettings(stack=stack, data_dir=tmp_path, host="0.0.0.0")
    ApiSettings(stack=stack, data_dir=tmp_path, host="0.0.0.0", api_key="k")
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("10.0.0.1") and not is_loopback("example.com")


def test_every_route_but_healthz_needs_the_key(tmp_path: Path) -> None:
    stack = start_stack(tmp_path, api_key="s3cret")
    try:
        raw = Raw(stack.api_url)
        assert raw.send("GET", "/healthz")[0] == 200
        for path in ("/readyz", "/metrics", "/docs", "/v1/jobs", "/v1/dlq"):
            assert raw.send("GET", path)[0] == 401, path
        wrong = {"Authorization": "Bearer nope"}
        assert raw.send("GET", "/v1/jobs", headers=wrong)[0] == 401
        assert raw.post_json("/v1/jobs", {"input": {}})[0] == 401
        good = {"Authorization": "Bearer s3cret"}
        assert raw.send("GET", "/v1/jobs", headers=good)[0] == 200
        assert raw.post_json("/v1/jobs", {"input": {}}, **good)[0] == 201
    finally:
        stack.stop()
