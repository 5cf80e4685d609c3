"""Cross-SDK smoke test: the AWS SDK for JavaScript v3 (`@aws-sdk/client-sqs`, run with node)
against the server. That SDK checks message body digests itself and maps errors to its exception
classes; tests/sqs/js/smoke.mjs also checks the attribute digests. `make test` installs the SDK
into .node-sdk/ when node is present."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("js") / "smoke.mjs"
SDK_MODULES = ROOT / ".node-sdk" / "node_modules"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None, reason="node is not installed: the JavaScript SDK cannot run"
)


def test_the_javascript_sdk_works_against_the_server(sqs_server: Any) -> None:
    assert (SDK_MODULES / "@aws-sdk" / "client-sqs").is_dir(), (
        "node is installed but the JavaScript SDK is not: run `make .node-sdk` (make test does)"
    )
    env = {**os.environ, "NODE_PATH": str(SDK_MODULES), "NODE_NO_WARNINGS": "1"}
    done = subprocess.run(
        ["node", str(SCRIPT), sqs_server.endpoint_url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout)
    assert seen["receivedBody"] == "body ✓"
    assert seen["receivedAttributeNames"] == ["blob", "count", "text"]
    assert seen["sendAttributesMd5Ok"] and seen["receiveAttributesMd5Ok"]
    assert seen["fifoDuplicateSameSequence"]
    assert seen["fifoBodies"] == ["first", "second"]
    assert seen["batchSuccessful"] == ["good"]
    assert seen["batchFailed"] == [["bad", "InvalidMessageContents", True]]
    # Modelled errors become the SDK's own exception classes; the others keep AWS's code.
    assert seen["queueDoesNotExist"] == {
        "name": "QueueDoesNotExist",
        "code": "AWS.SimpleQueueService.NonExistentQueue",
        "status": 400,
        "modeled": True,
    }
    assert seen["emptyBatch"]["name"] == "EmptyBatchRequest" and seen["emptyBatch"]["modeled"]
    assert seen["invalidParameter"]["code"] == "InvalidParameterValue"
    assert seen["invalidParameter"]["status"] == 400
