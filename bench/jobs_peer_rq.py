"""RQ's no-op job for the jobs benchmark (runs in bench/.venv-peers)."""

from __future__ import annotations


def noop(i: int) -> dict[str, bool]:
    return {"ok": True}
