"""Backlog arithmetic shared by the policies, the planner and the synthesis."""

from __future__ import annotations

import math


def tasks_for_backlog(backlog: float, target: float) -> int:
    """Workers needed so that no worker holds more than `target` messages: ceil(backlog / target).

    With target 5 (the ML-worker seed's table): 0 → 0, 1–5 → 1, 6–10 → 2, 11–15 → 3.
    """
    if target <= 0:
        raise ValueError(f"target backlog per worker must be > 0, got {target}")
    if backlog <= 0:
        return 0
    return math.ceil(backlog / target)


def clamp(value: int, low: int, high: int) -> int:
    """`value` limited to [low, high]."""
    return max(low, min(high, value))
