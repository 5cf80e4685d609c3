"""The worker runtime: `spotq worker APP` (see spotq.worker.cli for the supervisor contract)."""

from spotq.worker.hooks import HookChain, Hooks, JobTimings, WorkerHooks
from spotq.worker.runtime import Worker, WorkerConfig

__all__ = ["HookChain", "Hooks", "JobTimings", "Worker", "WorkerConfig", "WorkerHooks"]
