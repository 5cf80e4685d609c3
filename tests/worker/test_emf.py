"""Worker metrics as CloudWatch EMF lines: each line is a valid EMF document (JSON schema plus the
spec's member-reference rules), values are buffered, and a flush happens when due or full."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema

from spotq.clock import FakeClock
from spotq.worker.emf import MAX_VALUES, NAMESPACE, EmfHooks
from spotq.worker.hooks import JobTimings

SCHEMA = json.loads((Path(__file__).parent / "emf.schema.json").read_text())
TIMINGS = JobTimings(queue_wait_s=1.5, fetch_s=0.01, handle_s=0.2, store_s=0.003, batch_size=2)


def check_emf(doc: dict[str, Any]) -> None:
    jsonschema.validate(doc, SCHEMA)
    for directive in doc["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            for name in dimension_set:
                assert isinstance(doc[name], str), name  # dimension values are strings
        for metric in directive["Metrics"]:
            value = doc[metric["Name"]]  # every metric is a root member...
            values = value if isinstance(value, list) else [value]
            assert 1 <= len(values) <= MAX_VALUES  # ...a number or up to 100 numbers
            assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_flush_writes_one_valid_emf_document_with_every_metric() -> None:
    out, clock = io.StringIO(), FakeClock()
    hooks = EmfHooks("transcribe", stream=out, clock=clock, flush_every_s=60.0)
    hooks.on_ready()
    hooks.on_batch_received(2, "normal")
    hooks.on_busy()
    clock.advance(3.0)
    hooks.on_job_done("a", 1, TIMINGS)
    hooks.on_job_done("b", 1, TIMINGS)
    hooks.on_job_failed("c", 1, "boom", "retry")
    hooks.on_job_failed("d", 3, "boom", "dead")
    hooks.on_job_failed("e", 1, "drained", "released")
    hooks.on_idle()
    assert out.getvalue() == ""  # nothing is due yet: no line per job
    clock.advance(3.0)
    hooks.on_draining("spot-interruption: terminate")
    [doc] = lines(out)
    check_emf(doc)
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == NAMESPACE
    assert doc["App"] == "transcribe"
    assert doc["QueueWaitSeconds"] == [1.5, 1.5] and doc["HandleSeconds"] == [0.2, 0.2]
    assert doc["BatchSize"] == [2]
    assert (doc["JobsSucceeded"], doc["JobsRetried"], doc["JobsFailed"]) == (2, 1, 1)
    assert doc["SpotInterruptions"] == 1
    assert doc["BusyFraction"] == 0.5  # busy 3 s of the 6 s since the worker started
    assert doc["MemoryRssBytes"] > 0
    assert doc["_aws"]["Timestamp"] == int(clock.now() * 1000)


def test_flushes_when_due_or_when_a_metric_is_full_and_at_stop() -> None:
    out, clock = io.StringIO(), FakeClock()
    hooks = EmfHooks("faces", stream=out, clock=clock, flush_every_s=10.0)
    for i in range(MAX_VALUES):
        hooks.on_job_done(str(i), 1, TIMINGS)
    assert len(lines(out)) == 1 and len(lines(out)[0]["HandleSeconds"]) == MAX_VALUES
    clock.advance(11.0)
    hooks.on_job_done("late", 1, TIMINGS)
    hooks.on_stop("drained", 0)
    docs = lines(out)
    assert len(docs) == 3
    for doc in docs:
        check_emf(doc)
    assert docs[-1]["JobsSucceeded"] == 0 and "HandleSeconds" not in docs[-1]  # nothing new
