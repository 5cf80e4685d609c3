"""The environment a worker process gets: its parent's, less what only the parent may hold.

A worker runs the user's handler on inputs from anyone who can submit a job; the job API's key
(and anything else listed here) is no business of that code, so it is not passed down. Everything
else passes (PATH, CUDA_VISIBLE_DEVICES, HF_HOME, AWS credentials a worker in AWS mode needs)."""

from __future__ import annotations

from collections.abc import Mapping

# Secrets of the API and the CLI; a worker talks only to the queue and the stores.
PARENT_ONLY = frozenset({"SPOTQ_API_KEY"})


def worker_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """A copy of `environ` without the variables in PARENT_ONLY."""
    return {name: value for name, value in environ.items() if name not in PARENT_ONLY}
