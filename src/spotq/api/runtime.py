"""The objects one API instance works with, built once from its settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from spotq.api.dlq import DeadLetters
from spotq.api.gateway import QueueGateway
from spotq.api.metrics import ApiMetrics
from spotq.api.outbox import Outbox
from spotq.api.service import JobService
from spotq.api.settings import ApiSettings
from spotq.clock import Clock, SystemClock


@dataclass
class ApiRuntime:
    settings: ApiSettings
    service: JobService
    dead_letters: DeadLetters
    metrics: ApiMetrics
    # Each returns why the stack is not ready (None: fine); the local fleet adds its own
    # (crash-looping workers, a queue server being restarted). Read by /readyz.
    health_checks: list[Callable[[], str | None]] = field(default_factory=list)

    def unhealthy(self) -> str | None:
        for check in self.health_checks:
            reason = check()
            if reason is not None:
                return reason
        return None

    def close(self) -> None:
        self.service.outbox.close()
        self.service.queues.close()


def build_runtime(settings: ApiSettings, clock: Clock | None = None) -> ApiRuntime:
    """Open the stores and the queue client named by the settings' stack config."""
    from spotq.queues import make_sqs_client
    from spotq.storage.factory import open_blob_store, open_job_store

    clock = clock or SystemClock()
    stack = settings.stack
    queues = QueueGateway(make_sqs_client(stack), stack)
    jobs = open_job_store(stack.jobs_url)
    service = JobService(
        app=stack.app,
        jobs=jobs,
        blobs=open_blob_store(stack.blob_url),
        queues=queues,
        outbox=Outbox(settings.outbox_path),
        clock=clock,
        claim_check_bytes=settings.claim_check_bytes,
        reconcile_after_s=settings.reconcile_after_s,
        max_input_depth=settings.max_input_depth,
    )
    return ApiRuntime(
        settings=settings,
        service=service,
        dead_letters=DeadLetters(queues, jobs, clock),
        metrics=ApiMetrics(stack.app, jobs, queues),
    )
