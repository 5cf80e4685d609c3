"""The outbox reconciler's loop: every few seconds, send what failed to enqueue (see
spotq.api.outbox). Its log counts what was really sent, and says once, not every pass, why
messages are waiting; it speaks again when the reason changes or after the backlog cleared.

The job API runs it as a task of its event loop; a stack without the API (`spotq run`, which
submits in-process) runs the same passes from a thread (ReconcilerThread).
"""

from __future__ import annotations

import asyncio
import logging
import threading

from spotq.api.service import JobService, Reconciled

log = logging.getLogger("spotq.api")


class ReconcileLog:
    """Turns a stream of reconciler passes into log lines that each say something new."""

    def __init__(self) -> None:
        self._waiting_reasons: tuple[str, ...] = ()
        self._last_error = ""

    def passed(self, outcome: Reconciled) -> None:
        self._last_error = ""
        if outcome.sent:
            log.warning("reconciler enqueued %d jobs left by failed enqueues", outcome.sent)
        if outcome.refused:
            log.error(
                "the queue refused %d jobs' messages; those jobs are failed: %s",
                outcome.refused,
                "; ".join(outcome.reasons),
            )
        if outcome.waiting:
            if outcome.reasons != self._waiting_reasons:
                log.warning(
                    "reconciler could not enqueue %d jobs (retrying every pass): %s",
                    outcome.waiting,
                    "; ".join(outcome.reasons),
                )
            self._waiting_reasons = outcome.reasons
        elif outcome.sent or outcome.refused:  # the backlog cleared: a new outage is news
            self._waiting_reasons = ()

    def failed(self, exc: Exception) -> None:
        text = f"{type(exc).__name__}: {exc}"
        if text != self._last_error:
            log.warning("outbox reconcile failed (retrying every pass): %s", text)
        self._last_error = text


def reconcile_once(service: JobService, report: ReconcileLog) -> None:
    """One reconciler pass, logged through `report`; a failure is logged, not raised."""
    try:
        outcome = service.reconcile()
    except Exception as exc:  # a store or queue failure: the next pass tries again
        report.failed(exc)
        return
    report.passed(outcome)


async def reconcile_forever(service: JobService, interval_s: float) -> None:
    """Run reconciler passes until cancelled."""
    from starlette.concurrency import run_in_threadpool

    report = ReconcileLog()
    while True:
        await asyncio.sleep(interval_s)
        await run_in_threadpool(reconcile_once, service, report)


class ReconcilerThread:
    """Reconciler passes every `interval_s` from a daemon thread, until `stop`."""

    def __init__(self, service: JobService, interval_s: float) -> None:
        self._service = service
        self._interval_s = interval_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spotq-reconcile", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop after the pass under way, if any."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        report = ReconcileLog()
        while not self._stopping.wait(self._interval_s):
            reconcile_once(self._service, report)
