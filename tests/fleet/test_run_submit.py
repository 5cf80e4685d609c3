"""`spotq run` submits in-process (spotq.fleet.runner.submit_all) to a stack that serves no job
API: the same job service, records, messages and limits as an upload through the API, refused
inputs named with a clear error, and the outbox reconciler still running (from a thread)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from spotq.api.runtime import ApiRuntime
from spotq.api.service import Submission
from spotq.app import App
from spotq.errors import ServiceError
from spotq.fleet.embedded import EmbeddedStack, StackOptions
from spotq.fleet.inputs import plan_inputs
from spotq.fleet.runner import submit_all
from spotq.jobs import JobMessage, JobState
from spotq.queues import make_sqs_client


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[EmbeddedStack]:
    app = App("echo", handler=lambda model, jobs: [j.input for j in jobs])
    running = EmbeddedStack(app, StackOptions(tmp_path / "stack", serve_api=False)).start()
    try:
        yield running
    finally:
        running.stop()


def _runtime(stack: EmbeddedStack) -> ApiRuntime:
    assert stack.runtime is not None
    return stack.runtime


def _queued(stack: EmbeddedStack) -> list[JobMessage]:
    assert stack.stack is not None
    sqs = make_sqs_client(stack.stack)
    url = _runtime(stack).service.queues.normal_url
    reply = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [JobMessage.decode(m["Body"]) for m in reply.get("Messages", [])]


def test_files_are_submitted_as_uploads_in_process(stack: EmbeddedStack, tmp_path: Path) -> None:
    files = [tmp_path / "a.wav", tmp_path / "b.wav"]
    for n, path in enumerate(files):
        path.write_bytes(b"RIFF" + bytes([n]) * 10)
    first: list[int] = []
    service = _runtime(stack).service
    names = submit_all(service, plan_inputs(files), False, 1024, lambda: first.append(1))
    assert sorted(names.values()) == ["a.wav", "b.wav"] and first == [1]
    for job_id, name in names.items():
        record = service.jobs.get(job_id)
        assert record is not None and record.state is JobState.QUEUED
        assert record.filename == name and record.input_ref is not None
        assert service.blobs.get(record.input_ref) == (tmp_path / name).read_bytes()
    assert sorted(m.job_id for m in _queued(stack)) == sorted(names)


def test_submitting_stops_once_the_check_raises(stack: EmbeddedStack, tmp_path: Path) -> None:
    """`spotq run` checks for an app that cannot start before each submit, so a broken app
    with many inputs stops at once instead of after every input is queued."""
    files = [tmp_path / f"{n}.wav" for n in range(5)]
    for path in files:
        path.write_bytes(b"RIFF")
    calls: list[int] = []

    def check() -> None:
        calls.append(1)
        if len(calls) == 3:
            raise ServiceError("3 workers in a row failed to start with the same error: x")

    service = _runtime(stack).service
    with pytest.raises(ServiceError, match="3 workers in a row"):
        submit_all(service, plan_inputs(files), False, 1024, check=check)
    assert len(_queued(stack)) == 2


def test_a_file_over_the_upload_limit_is_refused_by_name(
    stack: EmbeddedStack, tmp_path: Path
) -> None:
    big = tmp_path / "big.wav"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(ServiceError, match=r"'big.wav' was refused: 2048 bytes.*limited to 1024"):
        submit_all(_runtime(stack).service, plan_inputs([big]), False, 1024)
    assert _queued(stack) == []


def test_a_json_input_the_service_refuses_is_named(stack: EmbeddedStack, tmp_path: Path) -> None:
    deep: dict[str, object] = {}
    for _ in range(150):  # deeper than the service's max_input_depth (100)
        deep = {"d": deep}
    path = tmp_path / "deep.json"
    path.write_text(str(deep).replace("'", '"'))
    with pytest.raises(ServiceError, match=r"input 'deep.json' was refused: input: nested"):
        submit_all(_runtime(stack).service, plan_inputs([path]), True, 1024)


def test_without_the_api_a_thread_reconciles_the_outbox(stack: EmbeddedStack) -> None:
    """A job recorded whose message was never sent (a crash in between) is sent by the
    reconciler thread the stack runs in the API's place."""
    with pytest.raises(AssertionError, match="no job API"):
        _ = stack.api_url
    service = _runtime(stack).service
    record, pending = service._prepare(Submission({"late": True}), service.clock.now() - 60)
    service.outbox.add([pending])
    service.jobs.create(record)
    deadline = time.monotonic() + 20
    found: list[JobMessage] = []
    while not found and time.monotonic() < deadline:
        found = _queued(stack)
    assert [m.job_id for m in found] == [record.job_id]
    while len(service.outbox) and time.monotonic() < deadline:  # removed after the send
        time.sleep(0.05)
    assert len(service.outbox) == 0


_NO_API_IMPORTS = """
import sys, tempfile
from pathlib import Path
from spotq.app import App
from spotq.fleet.embedded import EmbeddedStack, StackOptions
from spotq.fleet.runner import submit_all
app = App("echo", handler=lambda model, jobs: [j.input for j in jobs])
with tempfile.TemporaryDirectory() as tmp:
    stack = EmbeddedStack(app, StackOptions(Path(tmp), serve_api=False)).start()
    try:
        assert stack.runtime is not None
        submit_all(stack.runtime.service, [], True, 1024)
    finally:
        stack.stop()
print(sorted(m for m in ("fastapi", "uvicorn", "starlette") if m in sys.modules))
"""


def test_a_stack_without_the_api_never_imports_the_web_stack() -> None:
    """What `spotq run` gains by serving no API: FastAPI's imports stay off its start."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", _NO_API_IMPORTS], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]", run.stdout
