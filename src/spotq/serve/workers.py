"""`spotq serve --workers N`: N serving processes on one listening socket.

The parent binds the socket, starts N copies of `spotq serve` that inherit it (each loads the
model once and runs its own batcher and lane, so N processes use N cores), forwards SIGTERM and
SIGINT to them so each drains, and exits with the worst child status. Prometheus metrics are per
process: a scrape reaches whichever process the kernel hands the connection to.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from types import FrameType


def run_workers(
    sock: socket.socket, workers: int, child_args: Sequence[str], api_key: str | None
) -> int:
    """Start `workers` children serving `sock`; wait for all; the highest exit status wins."""
    fd = sock.fileno()
    host, port = sock.getsockname()[:2]
    command = [sys.executable, "-m", "spotq.cli", "serve", *child_args, "--socket-fd", str(fd)]
    env = {**os.environ, **({"SPOTQ_API_KEY": api_key} if api_key else {})}
    children = [subprocess.Popen(command, pass_fds=(fd,), env=env) for _ in range(workers)]
    print(json.dumps({"event": "listening", "url": f"http://{_url_host(host)}:{port}",
                      "workers": workers}), flush=True)  # fmt: skip

    forwarded: set[int] = set()

    def forward(signum: int, _frame: FrameType | None) -> None:
        forwarded.add(signum)
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    codes = [child.wait() for child in children]
    sock.close()
    # A child still loading its model has no drain handler yet: the signal we forwarded ends it
    # with nothing in flight, which is a clean drain, not a failure.
    codes = [0 if -code in forwarded else code for code in codes]
    return max((abs(code) for code in codes), default=0)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
