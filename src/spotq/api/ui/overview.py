"""What the dashboard shows, gathered in one place: job counts, queue depths, the local fleet and
its workers, recent failures and the sampled history. Reads only; nothing here changes a job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spotq.api.runtime import ApiRuntime
from spotq.api.ui.history import History, Sample, sample_of
from spotq.api.worker_metrics import read_worker_metrics
from spotq.jobs import JobRecord, JobState

FLEET_FILE = "fleet.json"  # written by spotq.fleet.autoscaler in the stack's data directory
WORKERS_DIR = "workers"  # spotq.fleet.workers' run_dir: worker-N.status.json, worker-N.log
RECENT_FAILURES = 10
MAX_WORKERS_SHOWN = 50


def queue_depths(rt: ApiRuntime) -> dict[str, tuple[int, int]]:
    """{normal|high|dlq: (visible, in_flight)}."""
    q = rt.service.queues
    out = {}
    for name, url in (("normal", q.normal_url), ("high", q.high_url), ("dlq", q.dlq_url)):
        d = q.depth(url)
        out[name] = (d.visible, d.in_flight)
    return out


def read_json_file(path: Path) -> dict[str, Any] | None:
    """A small JSON document another process rewrites atomically; None if absent or unreadable."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def fleet_snapshot(data_dir: Path) -> dict[str, Any] | None:
    return read_json_file(data_dir / FLEET_FILE)


def take_sample(rt: ApiRuntime, now_s: float) -> Sample:
    counts = rt.service.jobs.count_by_state(rt.service.app)
    return sample_of(now_s, counts, queue_depths(rt), fleet_snapshot(rt.settings.data_dir))


def workers(data_dir: Path) -> list[dict[str, Any]]:
    """The local fleet's workers from their status files, newest first (live ones before stopped).
    File names are spotq's own (`worker-N.status.json`), never taken from a request."""
    found = []
    metrics = read_worker_metrics(data_dir / WORKERS_DIR)
    for path in (data_dir / WORKERS_DIR).glob("worker-*.status.json"):
        number = path.name.removeprefix("worker-").removesuffix(".status.json")
        doc = read_json_file(path)
        if doc is None or not number.isdigit():
            continue
        doc["number"] = int(number)
        doc["metrics"] = metrics.get(int(number))
        found.append(doc)
    found.sort(key=lambda d: (d.get("state") == "stopped", -d["number"]))
    return found[:MAX_WORKERS_SHOWN]


def recent_failures(rt: ApiRuntime, counts: dict[JobState, int]) -> list[JobRecord]:
    """The newest failed or dead jobs, newest first."""
    total = counts.get(JobState.FAILED, 0) + counts.get(JobState.DEAD, 0)
    if total == 0:
        return []
    offset = max(0, total - RECENT_FAILURES)
    records = rt.service.jobs.list(
        app=rt.service.app, states=[JobState.FAILED, JobState.DEAD],
        limit=RECENT_FAILURES, offset=offset,
    )  # fmt: skip
    return records[::-1]


def overview(rt: ApiRuntime, history: History, now_s: float) -> dict[str, Any]:
    """The dashboard's document (also `GET /v1/overview`)."""
    counts = rt.service.jobs.count_by_state(rt.service.app)
    problems = []
    try:
        depths: dict[str, tuple[int, int]] | None = queue_depths(rt)
    except Exception as exc:  # the queue down: still show the jobs, and say why depths are not
        depths, problems = None, [f"the queue server does not answer: {exc}"]
    data_dir = rt.settings.data_dir
    fleet = fleet_snapshot(data_dir)
    samples = history.samples()
    return {
        "app": rt.service.app,
        "now_s": now_s,
        "jobs": {state.value: counts.get(state, 0) for state in JobState},
        "queues": None
        if depths is None
        else {name: {"visible": v, "in_flight": f} for name, (v, f) in depths.items()},
        "problems": problems,
        "fleet": fleet,
        "workers": workers(data_dir) if fleet is not None else [],
        "worker_logs": str(data_dir / WORKERS_DIR) if fleet is not None else None,
        "recent_failures": [_failure(r) for r in recent_failures(rt, counts)],
        "history": [s.to_dict() for s in samples],
    }


def _failure(record: JobRecord) -> dict[str, Any]:
    return {
        "id": record.job_id,
        "state": record.state.value,
        "attempts": record.attempts,
        "finished_at_s": record.finished_at_s,
        "last_error": record.last_error,
        "filename": record.filename,
    }
