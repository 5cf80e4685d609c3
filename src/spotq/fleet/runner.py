"""`spotq run`: start a local fleet, submit every input, wait, write results, summarize."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from spotq.errors import ServiceError, SpotqError
from spotq.fleet.inputs import RunInput
from spotq.fleet.local import LocalFleet
from spotq.fleet.summary import RunSummary, summarize
from spotq.jobs import TERMINAL_STATES, JobRecord, JobState
from spotq.storage.batch_ops import get_many
from spotq.storage.results import read_result

if TYPE_CHECKING:  # imported when used: it brings boto3, which would delay the queue server
    from spotq.api.service import JobService

_POLL_S = 0.25
_POLL_FEW_S = 0.05  # when at most one read's worth of jobs is left: the end is noticed sooner
_READ_CHUNK = 500  # job ids per job-store read while waiting
_BATCH = 500


class RunInterrupted(SpotqError):
    """Ctrl-C while jobs ran: the finished ones' results were written, the rest were not."""

    def __init__(self, finished: int, succeeded: int, total: int) -> None:
        super().__init__(f"interrupted: {finished} of {total} jobs finished")
        self.finished, self.succeeded, self.total = finished, succeeded, total


@dataclass(frozen=True)
class RunResult:
    summary: RunSummary
    failures: list[tuple[str, JobRecord]]  # (input name, record) of failed and dead jobs


def submit_all(
    service: JobService,
    inputs: Sequence[RunInput],
    as_json: bool,
    max_upload_bytes: int,
    on_first: Callable[[], None] = lambda: None,
    check: Callable[[], None] = lambda: None,
) -> dict[str, str]:
    """Submit every input in-process, through the job service the API would call (same
    records, messages, claim checks and limits, without HTTP); return job id -> input name.
    `on_first` runs once jobs are queued; `check` before each submit call, to stop early by
    raising (an app whose workers cannot start)."""
    from spotq.api.errors import InvalidInput
    from spotq.api.service import Submission

    names: dict[str, str] = {}
    if as_json:
        for start in range(0, len(inputs), _BATCH):
            check()
            chunk = inputs[start : start + _BATCH]
            outcomes = service.submit_many([Submission(i.json_input()) for i in chunk])
            for outcome, inp in zip(outcomes, chunk, strict=True):
                if isinstance(outcome, InvalidInput):
                    raise ServiceError(f"input {inp.name!r} was refused: {outcome}")
                names[outcome[0].job_id] = inp.name
            if start == 0:
                on_first()
        return names
    for inp in inputs:
        check()
        size_bytes = inp.path.stat().st_size  # checked before the file is read into memory
        if size_bytes > max_upload_bytes:
            raise ServiceError(
                f"input {inp.name!r} was refused: {size_bytes} bytes, and input files are "
                f"limited to {max_upload_bytes} bytes"
            )
        data = inp.path.read_bytes()
        try:
            record, _ = service.submit(Submission({}, data=data, filename=inp.name))
        except InvalidInput as exc:
            raise ServiceError(f"input {inp.name!r} was refused: {exc}") from None
        names[record.job_id] = inp.name
        if len(names) == 1:
            on_first()
    return names


def stop_if_app_failed(fleet: LocalFleet) -> None:
    """Raise the app's failure (the same start error several times in a row), if there is one."""
    scaler = fleet.autoscaler
    if scaler is not None and scaler.failure is not None:
        raise ServiceError(scaler.failure)


def wait_all(
    fleet: LocalFleet,
    job_ids: Sequence[str],
    console: Console,
    done: dict[str, JobRecord] | None = None,
) -> list[JobRecord]:
    """Poll the job store until every job is finished, showing progress; return the records.
    Finished jobs are added to `done` as they are seen (what is known if this is interrupted)."""
    runtime, scaler = fleet.stack.runtime, fleet.autoscaler
    assert runtime is not None and scaler is not None
    done = {} if done is None else done
    started = time.monotonic()
    columns = (
        TextColumn("[bold]jobs"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[workers]} workers · {task.fields[rate]:.1f} jobs/s"),
        TimeElapsedColumn(),
    )  # fmt: skip
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("jobs", total=len(job_ids), workers=0, rate=0.0)
        while len(done) < len(job_ids):
            stop_if_app_failed(fleet)
            collect_finished(fleet, job_ids, done)
            elapsed = time.monotonic() - started
            snap = scaler.last
            workers = 0 if snap is None else snap.starting + snap.idle + snap.busy
            rate = len(done) / elapsed if elapsed > 0 else 0.0
            progress.update(task, completed=len(done), workers=workers, rate=rate)
            left = len(job_ids) - len(done)
            if left:
                time.sleep(_POLL_FEW_S if left <= _READ_CHUNK else _POLL_S)
    return [done[job_id] for job_id in job_ids]


def collect_finished(fleet: LocalFleet, job_ids: Sequence[str], done: dict[str, JobRecord]) -> None:
    """Add the jobs of `job_ids` that are finished now (and not yet in `done`) to `done`."""
    runtime = fleet.stack.runtime
    assert runtime is not None
    pending = [job_id for job_id in job_ids if job_id not in done]
    for start in range(0, len(pending), _READ_CHUNK):
        found = get_many(runtime.service.jobs, pending[start : start + _READ_CHUNK])
        done.update((j, r) for j, r in found.items() if r.state in TERMINAL_STATES)


def write_results(
    fleet: LocalFleet, records: Sequence[JobRecord], names: dict[str, str], out_dir: Path
) -> None:
    """One <input name>.json per succeeded job; names are basenames checked by plan_inputs."""
    runtime = fleet.stack.runtime
    assert runtime is not None
    out_dir.mkdir(parents=True, exist_ok=True)
    for record in records:
        if record.state is JobState.SUCCEEDED:
            data = read_result(runtime.service.jobs, runtime.service.blobs, record)
            (out_dir / f"{names[record.job_id]}.json").write_bytes(data)


def run_inputs(
    fleet: LocalFleet,
    inputs: Sequence[RunInput],
    out_dir: Path,
    as_json: bool,
    console: Console,
) -> RunResult:
    """Submit, wait, write, then scale to zero and summarize (the fleet must be started)."""
    started = time.monotonic()
    scaler = fleet.autoscaler
    assert scaler is not None
    runtime = fleet.stack.runtime
    assert runtime is not None
    max_upload_bytes = fleet.stack.options.max_upload_bytes
    # Workers start on the first job, not at the autoscaler's next tick.
    names = submit_all(
        runtime.service, inputs, as_json, max_upload_bytes,
        on_first=scaler.wake, check=lambda: stop_if_app_failed(fleet),
    )  # fmt: skip
    scaler.wake()  # and again with the whole backlog queued: scale out to it at once
    ids = list(names)
    done: dict[str, JobRecord] = {}
    try:
        records = wait_all(fleet, ids, console, done)
    except KeyboardInterrupt:
        collect_finished(fleet, ids, done)  # what finished since the last poll counts too
        finished = list(done.values())
        write_results(fleet, finished, names, out_dir)
        ok = sum(r.state is JobState.SUCCEEDED for r in finished)
        raise RunInterrupted(len(finished), ok, len(ids)) from None
    write_results(fleet, records, names, out_dir)
    # Scale to zero before counting worker-seconds. Every job is finished: once the queues are
    # empty too, a worker holds nothing and need not be waited for while it sits out its poll.
    scaler.stop(fleet.fleet_options.grace_s, kill_when_empty=True)
    summary = summarize(
        records, time.monotonic() - started, scaler.pool.worker_seconds(), scaler.peak_workers
    )
    failures = [(names[r.job_id], r) for r in records if r.state is not JobState.SUCCEEDED]
    return RunResult(summary, failures)
