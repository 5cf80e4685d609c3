"""The dashboard's JSON, its history and its API-key rule, over HTTP (no browser)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from spotq.api.client import JobsClient
from spotq.api.ui.history import History, sample_of
from spotq.api.ui.routes import ASSETS
from spotq.fleet.embedded import EmbeddedStack
from spotq.jobs import JobState

from ..conftest import Raw, start_stack

ZERO = {"normal": (0, 0), "high": (0, 0), "dlq": (0, 0)}


def test_overview_counts_jobs_and_queue_depth(stack: EmbeddedStack, client: JobsClient) -> None:
    client.submit({"a": 1})
    client.submit({"a": 2}, priority="high")
    doc = client.call("GET", "/v1/overview")
    assert doc["app"] == "echo"
    assert doc["jobs"] == {"queued": 2, "running": 0, "succeeded": 0, "failed": 0, "dead": 0}
    assert doc["queues"]["normal"] == {"visible": 1, "in_flight": 0}
    assert doc["queues"]["high"] == {"visible": 1, "in_flight": 0}
    assert doc["fleet"] is None and doc["workers"] == []  # no local fleet in this stack
    assert doc["recent_failures"] == []


def test_the_page_is_open_but_its_data_needs_the_key(tmp_path: Path) -> None:
    stack = start_stack(tmp_path, api_key="s3cret")
    try:
        raw = Raw(stack.api_url)
        status, page = raw.send("GET", "/ui")
        assert status == 200 and b"/ui/assets/app.js" in page
        assert raw.send("GET", "/ui/assets/app.js")[0] == 200
        assert raw.send("GET", "/ui/assets/nope.js")[0] == 404  # only named assets exist
        assert raw.send("GET", "/v1/overview")[0] == 401
        good = {"Authorization": "Bearer s3cret"}
        assert raw.send("GET", "/v1/overview", headers=good)[0] == 200
        assert raw.send("GET", "/ui/assets/..%2Fhistory.py")[0] == 404
    finally:
        stack.stop()


def test_assets_load_nothing_from_elsewhere() -> None:
    static = resources.files("spotq.api.ui").joinpath("static")
    for name in (*ASSETS, "index.html"):
        text = static.joinpath(name).read_text()
        assert not re.search(r"(src|href)=\"(https?:)?//", text), name
        assert "innerHTML" not in text, name  # user text only ever goes in as textContent


def test_history_keeps_one_window_and_reads_the_fleet_snapshot() -> None:
    history = History(window_s=10.0)
    counts = {JobState.SUCCEEDED: 3, JobState.QUEUED: 1}
    fleet = {"starting": 1, "idle": 0, "busy": 2, "draining": 0, "desired": 3}
    for t in range(20):
        history.add(sample_of(float(t), counts, ZERO, fleet if t % 2 else None))
    samples = history.samples()
    assert [s.at_s for s in samples] == [float(t) for t in range(9, 20)]
    assert samples[0].busy == 2 and samples[0].desired == 3 and samples[1].busy is None
    assert samples[0].succeeded == 3 and samples[0].queued == 1


def test_overview_still_answers_with_the_queue_server_down(
    stack: EmbeddedStack, client: JobsClient
) -> None:
    client.submit({"a": 1})
    assert stack._sqs is not None
    stack._sqs.stop()  # the queue server dies; the API and the job store stay up
    doc = client.call("GET", "/v1/overview")
    assert doc["queues"] is None
    assert doc["problems"] and "queue server does not answer" in doc["problems"][0]
    assert doc["jobs"]["queued"] == 1
