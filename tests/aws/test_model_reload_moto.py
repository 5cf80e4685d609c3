"""A model artifact in S3 (the app's `model_uri`), reloaded while a real `spotq worker` runs: the
worker loads version 1, serves jobs with it, picks up version 2 of the object in a versioned
bucket on moto server without stopping, and keeps version 2 when a broken version 3 fails to
load. Queue: the embedded SQS server; S3: moto."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from spotq.app import AppOptions
from spotq.aws.session import AwsConfig, make_client
from spotq.jobs import JobMessage, JobState
from spotq.queues import ensure_queues, make_sqs_client
from spotq.sqs.server import RunningSqsServer
from spotq.stack import StackConfig
from spotq.storage.local import LocalBlobStore
from spotq.storage.results import read_result
from spotq.storage.sqlite_jobs import SqliteJobStore

APP_SOURCE = """
from pathlib import Path

import spotq

app = spotq.App("reload", model_uri="s3://{bucket}/models/model.txt", model_check_s=1)


@app.loader
def load(path: Path) -> str:
    text = path.read_text()
    if text.startswith("broken"):
        raise ValueError("this artifact is corrupt")
    return text


@app.handler
def handle(model, jobs):
    return [{{"model": model}} for _ in jobs]
"""


def _events(log: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]


def _wait(predicate: Any, what: str, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_model_artifact_is_reloaded_when_its_version_changes(
    aws_env: AwsConfig, s3_bucket: str, sqs_server: RunningSqsServer, tmp_path: Path
) -> None:
    s3 = make_client("s3", aws_env)
    s3.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    key = "models/model.txt"
    v1 = s3.put_object(Bucket=s3_bucket, Key=key, Body=b"model-v1")["VersionId"]
    app_file = tmp_path / "reload_app.py"
    app_file.write_text(textwrap.dedent(APP_SOURCE.format(bucket=s3_bucket)))
    stack = StackConfig(
        app="reload",
        sqs_endpoint_url=sqs_server.endpoint_url,
        blob_url=str(tmp_path / "blobs"),
        jobs_url=f"sqlite:///{tmp_path}/jobs.db",
        sqs_signed=False,
    )
    sqs = make_sqs_client(stack)
    queue = ensure_queues(sqs, stack, AppOptions()).normal
    jobs = SqliteJobStore(tmp_path / "jobs.db")
    blobs = LocalBlobStore(tmp_path / "blobs")

    def submit(job_id: str) -> None:
        body = JobMessage(job_id=job_id, app="reload", input={}, submitted_at_s=time.time())
        sqs.send_message(QueueUrl=queue, MessageBody=body.encode())

    def result(job_id: str) -> Any:
        record = jobs.get(job_id)
        if record is None or record.state is not JobState.SUCCEEDED:
            return None
        return json.loads(read_result(jobs, blobs, record))["model"]

    cache = tmp_path / "cache"
    log = tmp_path / "worker.log"
    env = {**os.environ, "SPOTQ_MODEL_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    args = [sys.executable, "-m", "spotq.cli", "worker", str(app_file), "--poll-wait-s", "1"]
    with log.open("wb") as err:
        worker = subprocess.Popen(
            [*args, "--stack-config", stack.to_json()],
            env=env,
            stderr=err,
            stdout=subprocess.DEVNULL,
        )
    try:
        submit("a")
        assert _wait(lambda: result("a"), "job a") == "model-v1"
        loaded = [e for e in _events(log) if e["event"] == "model_loaded"]
        assert [e["version"] for e in loaded] == [v1]

        v2 = s3.put_object(Bucket=s3_bucket, Key=key, Body=b"model-v2")["VersionId"]
        # Jobs keep being served while v2 is fetched and loaded beside v1.
        n = 0
        while not any(e["event"] == "model_reloaded" for e in _events(log)):
            submit(f"during-{n}")
            n += 1
            time.sleep(0.3)
            assert n < 200, "v2 was never loaded"
        served = [_wait(lambda i=i: result(f"during-{i}"), f"during-{i}") for i in range(n)]
        assert set(served) <= {"model-v1", "model-v2"}
        assert served == sorted(served)  # once switched, never back
        submit("b")
        assert _wait(lambda: result("b"), "job b") == "model-v2"
        assert [e["version"] for e in _events(log) if e["event"] == "model_reloaded"] == [v2]

        s3.put_object(Bucket=s3_bucket, Key=key, Body=b"broken-v3")
        refused = _wait(
            lambda: [e for e in _events(log) if e["event"] == "error" and e["where"] == "model"],
            "the broken version refused",
        )
        assert "this artifact is corrupt" in refused[0]["error"]
        assert "keeping the running model" in refused[0]["error"]
        submit("c")
        assert _wait(lambda: result("c"), "job c") == "model-v2"
        assert worker.poll() is None  # a bad artifact never stops the worker
        # The cache keeps the newest versions only, in directories named by hash.
        versions = [p for p in (cache / "spotq-models").iterdir()]
        assert len(versions) == 1
        kept = [p.name for p in versions[0].iterdir() if not p.name.startswith(".")]
        assert 1 <= len(kept) <= 2 and all(len(name) == 24 for name in kept)
    finally:
        worker.terminate()
        worker.wait(30)
