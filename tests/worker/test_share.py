"""Fair share (spotq.worker.share): with slow handler calls, a worker takes only its share of a
short backlog, so the last batches of a run are split between workers instead of one worker
taking them whole while the others go idle."""

from __future__ import annotations

import threading
import time

from spotq.app import App, Job
from spotq.worker.share import SHARE_MIN_CALL_S, fair_share

from .conftest import WorkerEnv, wait_for


def test_fair_share_splits_a_short_backlog_between_busy_workers() -> None:
    assert fair_share(10, 10, visible=100, in_flight=10) == 10  # deep queue: a full batch
    assert fair_share(10, 10, visible=10, in_flight=10) == 5  # one other busy worker
    assert fair_share(10, 10, visible=10, in_flight=25) == 4  # two full batches out: 10 / 3
    # The other worker holds its share of these already (part of a batch): the rest is this
    # one's (before: 3, leaving 2 to be split again into calls of one).
    assert fair_share(10, 10, visible=5, in_flight=5) == 5
    assert fair_share(10, 10, visible=1, in_flight=30) == 1  # never less than one
    assert fair_share(10, 10, visible=7, in_flight=0) == 7  # alone: all there is
    assert fair_share(10, 10, visible=0, in_flight=10) == 10  # empty: a long poll takes any
    assert fair_share(1, 1, visible=5, in_flight=5) == 1


def test_a_worker_with_slow_calls_takes_its_share_of_a_short_backlog(env: WorkerEnv) -> None:
    """After a slow first call, 6 messages are waiting and another worker holds a batch of 10:
    the next receive takes 3 (without fair share it would take all 6)."""
    gate = threading.Event()
    sizes: list[int] = []

    def handle(model: object, jobs: list[Job]) -> list[dict[str, str]]:
        sizes.append(len(jobs))
        if len(sizes) == 1:
            gate.wait(30)
        return [{"id": job.id} for job in jobs]

    app = App("share", handler=handle, batch_size=10, visibility_timeout_s=30)
    env.send(app, "first", {})
    running = env.start(app)
    try:
        wait_for(lambda: sizes, 30, "the first call")
        for i in range(16):
            env.send(app, f"job-{i}", {})
        other = env.sqs(app).receive_message(
            QueueUrl=env.queues(app).normal, MaxNumberOfMessages=10, VisibilityTimeout=120
        )
        assert len(other["Messages"]) == 10  # another worker's batch, in flight
        time.sleep(SHARE_MIN_CALL_S)  # the first call counts as slow
    finally:
        gate.set()
    wait_for(lambda: sum(sizes) == 7, 30, "the six waiting jobs run")
    running.stop()
    assert sizes[:2] == [1, 3], sizes
