"""The container health check: `python -m spotq.aws.health [--status-file PATH]`.

Exit 0 while the worker is alive: its status file (written by the worker on every change of state)
names a live state and a running process; exit 1 otherwise. `starting` counts as healthy only for
`--max-starting-s` (a model load that hangs is a dead worker). `draining` is healthy: the worker is
finishing its jobs and will exit by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

STATUS_FILE_ENV = "SPOTQ_STATUS_FILE"
DEFAULT_STATUS_FILE = "/tmp/spotq-worker-status.json"
LIVE_STATES = frozenset({"starting", "idle", "busy", "draining"})


def status_file_path(environ: Mapping[str, str]) -> Path:
    """Where the worker writes its status on ECS; the health check reads the same place."""
    return Path(environ.get(STATUS_FILE_ENV) or DEFAULT_STATUS_FILE)


def check(path: Path, *, now_s: float, max_starting_s: float) -> str | None:
    """None when healthy, else why not."""
    try:
        doc = json.loads(path.read_text())
        state, pid, updated_s = str(doc["state"]), int(doc["pid"]), float(doc["updated_at_s"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"status file {str(path)!r} unreadable: {exc}"
    if state not in LIVE_STATES:
        return f"worker state is {state!r}"
    if not _alive(pid):
        return f"worker process {pid} is gone (last state {state!r})"
    if state == "starting" and now_s - updated_s > max_starting_s:
        return f"worker has been starting for {now_s - updated_s:.0f} s"
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spotq.aws.health", description=__doc__)
    parser.add_argument("--status-file", type=Path, default=None)
    parser.add_argument("--max-starting-s", type=float, default=900.0)
    args = parser.parse_args(argv)
    path = args.status_file or status_file_path(os.environ)
    problem = check(path, now_s=time.time(), max_starting_s=args.max_starting_s)
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    print("healthy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
